import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenLocal } from '#src/platform/local/ports.js';

interface TenantRules {
  priority: number;
  hosts: readonly string[];
  targetGroupArn: string;
}

/**
 * An environment's internal ALB listener on 127.0.0.1: a rule per tenant on `X-Tenant-Id` (and on `Host` for its
 * site domains) forwards to the tenant's target group; the targets are the tenant's running tasks. As an ALB:
 * no rule matches -> the default action, 404; a rule whose target group has no registered target -> 503.
 * Rules and target groups are what the tenant's Terraform declares (the workflow stand-in applies them); targets
 * are registered by ECS as tasks start and stop.
 */
export class LocalLoadBalancer {
  private readonly rules = new Map<string, TenantRules>();
  private readonly targetGroups = new Map<string, { name: string; targets: string[] }>();
  private server: Server | undefined;
  private turn = 0;

  constructor(
    readonly environment: string,
    private readonly options: { region: string; account: string },
  ) {}

  /** The target group named `name` (created once, as Terraform's aws_lb_target_group). */
  targetGroup(name: string): string {
    const existing = [...this.targetGroups].find(([, g]) => g.name === name)?.[0];
    if (existing) return existing;
    const arn = `arn:aws:elasticloadbalancing:${this.options.region}:${this.options.account}:targetgroup/${name}/${randomBytes(8).toString('hex')}`;
    this.targetGroups.set(arn, { name, targets: [] });
    return arn;
  }

  deleteTargetGroup(arn: string): void {
    this.targetGroups.delete(arn);
  }

  putTenantRules(tenantId: string, rules: TenantRules): void {
    this.rules.set(tenantId, rules);
  }

  removeTenantRules(tenantId: string): void {
    this.rules.delete(tenantId);
  }

  registerTarget(targetGroupArn: string, url: string): void {
    const group = this.targetGroups.get(targetGroupArn);
    if (group && !group.targets.includes(url)) group.targets.push(url);
  }

  deregisterTarget(targetGroupArn: string, url: string): void {
    const group = this.targetGroups.get(targetGroupArn);
    if (group) group.targets = group.targets.filter((t) => t !== url);
  }

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => this.route(req, res));
    this.server = server;
    return listenLocal(server, port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  /** Rules in priority order, as the listener evaluates them; the first match wins. */
  private match(req: IncomingMessage): TenantRules | undefined {
    const tenant = req.headers['x-tenant-id'];
    const host = String(req.headers.host ?? '')
      .replace(/:\d+$/, '')
      .toLowerCase();
    return [...this.rules.entries()]
      .sort(([, a], [, b]) => a.priority - b.priority)
      .find(([id, r]) => tenant === id || r.hosts.includes(host))?.[1];
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const rules = this.match(req);
    if (!rules) {
      fixed(res, 404, 'Not Found');
      return;
    }
    const targets = this.targetGroups.get(rules.targetGroupArn)?.targets ?? [];
    const target = targets[this.turn++ % Math.max(targets.length, 1)];
    if (!target) {
      fixed(res, 503, '503 Service Temporarily Unavailable');
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const upstream = request(
      url,
      {
        method: req.method,
        headers: {
          ...req.headers,
          'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
          'x-forwarded-proto': 'http',
          'x-forwarded-port': String(req.socket.localPort ?? ''),
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => fixed(res, 502, '502 Bad Gateway'));
    req.pipe(upstream);
  }
}

function fixed(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/html', server: 'awselb/2.0' });
  res.end(`<html><body><center><h1>${text}</h1></center></body></html>\n`);
}
