import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { matchesPattern, type Pattern } from './event-pattern.js';
import type { Invoke } from './lambda-host.js';

export interface LocalRule {
  name: string;
  bus: string;
  pattern: Pattern;
  invoke: Invoke;
  /**
   * The target's RetryPolicy and DeadLetterConfig: retries after the first attempt, while the event is younger
   * than maxAgeMs, then the dead-letter queue. Without: a function's asynchronous invocation (two retries), then
   * nothing (a failure Lambda's own destinations would take).
   */
  undelivered?: {
    retries: number;
    maxAgeMs: number;
    deadLetter?: (event: Record<string, unknown>, error: unknown) => Promise<void>;
  };
}

/** A rule whose target is another bus (by name). */
export interface LocalForwardRule {
  name: string;
  bus: string;
  pattern: Pattern;
  targetBus: string;
}

/** The account of the local runtime (its buses', its functions'). */
const OWN_ACCOUNT = '000000000000';

/** An event an AWS service sends itself (not through PutEvents): it arrives on the account's default bus. */
export interface ServiceEvent {
  source: string;
  detailType: string;
  resources: readonly string[];
  detail: unknown;
  time?: Date;
  /** Given: a redelivery of an event already sent, which keeps its id as EventBridge's does; absent: a new id. */
  id?: string;
  /**
   * The account the event happened in (a workload account's, forwarded by its default bus's rule keeps it);
   * absent: this account's.
   */
  account?: string;
}

/** An event as it reached a bus: put there, sent by a service, or forwarded by a rule of another bus. */
export interface Arrival {
  bus: string;
  event: Record<string, unknown>;
  forwardedBy?: string;
}

interface Entry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

/** A delivered event and the rule that took it (for tests and the console). */
export interface Delivery {
  rule: string;
  event: Record<string, unknown>;
  ok: boolean;
  /** Not delivered, and sent to the target's dead-letter queue. */
  deadLettered?: boolean;
}

/**
 * An EventBridge-API server on 127.0.0.1 (PutEvents over the AWS JSON protocol), so the publisher runs the same
 * SDK code as in AWS. Each accepted entry is matched against the rules from serverless.yml and delivered to
 * its targets asynchronously, with Lambda's two retries for asynchronous invocations. Like AWS, it refuses a
 * request of more than 10 entries or 256 KB (ValidationException), so a local test fails where AWS would.
 * `refuse` injects per-entry failures, as a real PutEvents can partly fail; `fault` fails whole calls.
 * Each rule belongs to one bus (by name: `default`, `bbws-events-<stage>`); an entry goes to the bus it names (the
 * default bus when none), and AWS services' events to the default bus. A rule may forward to another bus, once:
 * as in AWS, an event that arrived from another bus is not forwarded again.
 */
export class LocalEventBridge {
  readonly deliveries: Delivery[] = [];
  /** Every event accepted by PutEvents, matched or not. */
  readonly accepted: Record<string, unknown>[] = [];
  /** Every event that reached a bus, in order. */
  readonly arrivals: Arrival[] = [];
  refuse: (entry: Entry) => string | undefined = () => undefined;
  /**
   * The other accounts each bus's resource policy lets put events there (bus-policies.ts, from the packaged
   * template). Set: an AWS service event of another account (a workload account's default bus forwarding its ECS
   * events) is refused unless its bus's policy names that account, as in AWS, where the sender's rule then counts
   * a failed invocation and nothing arrives. Unset: every account may (tests of the routing alone).
   */
  busPolicies: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** Service events refused by a bus's policy (nothing arrived), for tests and the console. */
  readonly refusedByPolicy: { bus: string; account: string; event: Record<string, unknown> }[] = [];
  /** Fault injection for a whole call (an outage): the HTTP status and error type to answer with. */
  fault: () => { status: number; type: string } | undefined = () => undefined;
  private server: Server | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly rules: readonly (LocalRule | LocalForwardRule)[],
    private readonly log: (line: string) => void = () => {},
    /** PutEvents' limit per request, as AWS enforces it (256 KB). */
    private readonly maxRequestBytes = 256 * 1024,
  ) {}

  async listen(port: number): Promise<string> {
    // No request may end the process (a client that disconnects mid-request, a bug): AWS's 500 InternalException.
    this.server = createServer((req, res) =>
      this.handle(req, res).catch((error: unknown) => {
        if (res.headersSent || res.destroyed || req.destroyed) {
          res.destroy();
          return;
        }
        this.log(`local EventBridge failed: ${String(error)}`);
        reply(res, 500, { __type: 'InternalException', message: String(error) });
      }),
    );
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'AWSEvents.PutEvents') {
      reply(res, 400, {
        __type: 'UnknownOperationException',
        message: `local EventBridge only does PutEvents, not ${target}`,
      });
      return;
    }
    const fault = this.fault();
    if (fault) {
      reply(res, fault.status, {
        __type: fault.type,
        message: 'injected by the local EventBridge (fault drill)',
      });
      return;
    }
    let Entries: Entry[];
    try {
      ({ Entries = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        Entries?: Entry[];
      });
    } catch {
      reply(res, 400, { __type: 'SerializationException', message: 'the request body is not JSON' });
      return;
    }
    const invalid = validatePutEvents(Entries, this.maxRequestBytes);
    if (invalid) {
      reply(res, 400, { __type: 'ValidationException', message: invalid });
      return;
    }
    const results = Entries.map((entry) => this.accept(entry));
    reply(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  }

  private accept(entry: Entry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const refused = this.refuse(entry);
    if (refused)
      return { ErrorCode: refused, ErrorMessage: 'refused by the local EventBridge (fault injection)' };
    const detail = jsonObject(entry.Detail ?? '{}');
    // as AWS: an entry whose Detail is not a JSON object fails alone, the others of the request go on
    if (detail === undefined) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const id = randomUUID();
    const event = {
      version: '0',
      id,
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: new Date(
        typeof entry.Time === 'number' ? entry.Time * 1000 : (entry.Time ?? Date.now()),
      ).toISOString(),
      region: 'af-south-1',
      resources: entry.Resources ?? [],
      detail,
    };
    this.accepted.push(event);
    this.route(busName(entry.EventBusName), event);
    return { EventId: id };
  }

  /** An AWS service's event (source `aws.*`, which PutEvents callers may not use) onto the default bus. */
  putServiceEvent(sent: ServiceEvent): string {
    const id = sent.id ?? randomUUID();
    const event = {
      version: '0',
      id,
      'detail-type': sent.detailType,
      source: sent.source,
      account: sent.account ?? OWN_ACCOUNT,
      time: (sent.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'af-south-1',
      resources: [...sent.resources],
      detail: sent.detail,
    };
    if (
      event.account !== OWN_ACCOUNT &&
      this.busPolicies &&
      !this.busPolicies.get('default')?.has(event.account)
    ) {
      this.refusedByPolicy.push({ bus: 'default', account: event.account, event });
      this.log(
        `refused ${sent.detailType} (${id}) from account ${event.account}: the default bus's policy does not let it put events`,
      );
      return id;
    }
    this.route('default', event);
    return id;
  }

  private route(bus: string, event: Record<string, unknown>, forwardedBy?: string): void {
    this.arrivals.push({ bus, event, ...(forwardedBy === undefined ? {} : { forwardedBy }) });
    for (const rule of this.rules) {
      if (rule.bus !== bus || !matchesPattern(rule.pattern, event)) continue;
      if (!('targetBus' in rule)) this.deliver(rule, event);
      else if (forwardedBy === undefined) this.forward(rule, event);
    }
  }

  private forward(rule: LocalForwardRule, event: Record<string, unknown>): void {
    const run = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      this.route(rule.targetBus, event, rule.name);
      this.deliveries.push({ rule: rule.name, event, ok: true });
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private deliver(rule: LocalRule, event: Record<string, unknown>): void {
    const run = (async () => {
      const failed = await this.attempts(rule, event);
      if (!failed) {
        this.deliveries.push({ rule: rule.name, event, ok: true });
        return;
      }
      const deadLetter = rule.undelivered?.deadLetter;
      const sent = deadLetter
        ? await deadLetter(event, failed.error).then(
            () => true,
            (error: unknown) => {
              this.log(`${rule.name}: its dead-letter queue refused the event, dropped: ${String(error)}`);
              return false;
            },
          )
        : false;
      this.deliveries.push({
        rule: rule.name,
        event,
        ok: false,
        ...(deadLetter ? { deadLettered: sent } : {}),
      });
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Tries the target as its retry policy says; undefined once delivered, else the last error. */
  private async attempts(
    rule: LocalRule,
    event: Record<string, unknown>,
  ): Promise<{ error: unknown } | undefined> {
    const { retries = 2, maxAgeMs = 86_400_000 } = rule.undelivered ?? {};
    const arrivedAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await rule.invoke(event);
        return undefined;
      } catch (error) {
        this.log(
          `${rule.name} failed on ${String(event['detail-type'])} (attempt ${attempt + 1}): ${String(error)}`,
        );
        const delay = Math.min(1000, 50 * (attempt + 1));
        if (attempt >= retries || Date.now() + delay - arrivedAt > maxAgeMs) return { error };
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** PutEvents takes a bus by name or ARN; none is the default bus. */
const busName = (nameOrArn: string | undefined): string =>
  nameOrArn === undefined || nameOrArn === ''
    ? 'default'
    : nameOrArn.replace(/^arn:[^:]+:events:[^:]*:\d*:event-bus\//, '');

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

/** The Detail of an entry, when it is a JSON object (what PutEvents accepts). */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const utf8 = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));

/**
 * AWS's request limits: 1..10 entries, and at most `maxBytes` counted as "Calculating PutEvents event entry
 * size" says (Time 14 bytes if given; Source, DetailType, Detail and each Resources entry in UTF-8 bytes).
 */
export function validatePutEvents(entries: readonly Entry[], maxBytes: number): string | undefined {
  if (entries.length < 1 || entries.length > 10)
    return `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1 (got ${entries.length})`;
  const bytes = entries.reduce(
    (sum, e) =>
      sum +
      (e.Time === undefined ? 0 : 14) +
      utf8(e.Source) +
      utf8(e.DetailType) +
      utf8(e.Detail) +
      (e.Resources ?? []).reduce((n, r) => n + utf8(r), 0),
    0,
  );
  return bytes > maxBytes
    ? `Total size of the entries in the request is over the limit (${bytes} bytes, limit ${maxBytes})`
    : undefined;
}
