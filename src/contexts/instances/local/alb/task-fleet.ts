import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretName, type TerraformEnvironment, tenantOfService } from '../../terraform/index.js';
import type { LocalEcs } from '../aws/ecs.js';
import type { Service } from '../aws/ecs-service.js';
import type { LocalLoadBalancer } from './load-balancer.js';
import { type RunningWordPress, startWordPress } from './wordpress.js';

interface Task {
  wordpress: RunningWordPress;
  targetGroups: string[];
}

/**
 * The tasks of the ECS stand-in's services: a WordPress stand-in per service while it runs tasks (running count
 * above 0), registered in the target groups its load balancers name, and stopped (deregistered first) when the
 * service goes to 0 or away. Like ECS injecting BBWS_APP_PASSWORD at task start, it reads the application
 * password from Secrets Manager when the task starts.
 */
export class TaskFleet {
  private readonly tasks = new Map<string, Task>();
  private chain = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    ecs: LocalEcs,
    private readonly options: {
      environmentOf: (cluster: string) => TerraformEnvironment | undefined;
      balancers: Readonly<Record<TerraformEnvironment, LocalLoadBalancer>>;
      secrets: SecretsManagerClient;
      username: string;
      log: (line: string) => void;
    },
  ) {
    ecs.onChange((service) => this.follow(service));
  }

  /** The WordPress stand-in of a running service (tests). */
  urlOf(serviceArn: string): string | undefined {
    return this.tasks.get(serviceArn)?.wordpress.url;
  }

  /** Resolves once every start and stop asked for so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.chain.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
    await Promise.all([...this.tasks.values()].map((t) => t.wordpress.close()));
    this.tasks.clear();
  }

  private follow(service: Service): void {
    if (this.stopped) return;
    const up = service.status === 'ACTIVE' && service.runningCount > 0;
    const previous = this.chain.get(service.arn) ?? Promise.resolve();
    const next = previous
      .then(() => (up ? this.start(service) : this.stopTask(service)))
      .catch((error) => this.options.log(`task of ${service.name}: ${String(error)}`));
    this.chain.set(service.arn, next);
  }

  private async start(service: Service): Promise<void> {
    if (this.tasks.has(service.arn)) return;
    const environment = this.options.environmentOf(service.cluster);
    const tenant = tenantOfService(service.arn);
    if (!environment || !tenant) return;
    const secret = await this.options.secrets
      .send(
        new GetSecretValueCommand({
          SecretId: secretName(environment, tenant.tenantId, 'wordpress-app-password'),
        }),
      )
      .catch(() => undefined);
    const value = JSON.parse(secret?.SecretString ?? '{}') as { password?: string; site_url?: string };
    const wordpress = await startWordPress({
      siteUrl: value.site_url ?? '',
      username: this.options.username,
      appPassword: value.password,
    });
    const targetGroups = (service.loadBalancers as { targetGroupArn?: string }[]).flatMap((lb) =>
      lb.targetGroupArn ? [lb.targetGroupArn] : [],
    );
    for (const arn of targetGroups) this.options.balancers[environment].registerTarget(arn, wordpress.url);
    this.tasks.set(service.arn, { wordpress, targetGroups });
  }

  private async stopTask(service: Service): Promise<void> {
    const task = this.tasks.get(service.arn);
    const environment = this.options.environmentOf(service.cluster);
    if (!task || !environment) return;
    this.tasks.delete(service.arn);
    for (const arn of task.targetGroups)
      this.options.balancers[environment].deregisterTarget(arn, task.wordpress.url);
    await task.wordpress.close();
  }
}
