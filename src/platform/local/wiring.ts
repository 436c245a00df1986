import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pattern } from './event-pattern.js';

/** A queue as the template declares it (stage suffix removed from the name). */
export interface LocalQueueSpec {
  baseName: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
  visibilityTimeoutSeconds?: number;
  retentionSeconds?: number;
  /** RedrivePolicy: the DLQ's logical id and the receives before a message moves there. */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

/** A rule target's RetryPolicy and DeadLetterConfig: what EventBridge does with an event it cannot deliver. */
export interface LocalUndelivered {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** Logical id of the dead-letter queue. */
  deadLetterQueue?: string;
}

/** An EventBridge rule (AWS::Events::Rule resource) whose target is one of the queues. */
export interface LocalQueueRule {
  name: string;
  /** Logical id of the bus, or `default`. */
  bus: string;
  pattern: Pattern;
  queue: string;
  messageGroupId?: string;
  undelivered?: LocalUndelivered;
}

/** An EventBridge rule whose target is another bus (logical ids, or `default`). */
export interface LocalBusRule {
  name: string;
  bus: string;
  pattern: Pattern;
  targetBus: string;
  undelivered?: LocalUndelivered;
}

/** An SQS event source mapping of a function. */
export interface LocalSqsMapping {
  function: string;
  queue: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
}

/** Which function listens to what: read from serverless.yml (resolved by `serverless print`), never a second list. */
export interface LocalWiring {
  functions: {
    name: string;
    module: string;
    exportName: string;
    environment: Record<string, string>;
    /**
     * The names of every variable of the function's own environment (literal or not): in AWS no other function
     * has them (src/platform/local/function-environment.ts withholds them from the others). Absent: none.
     */
    variables?: readonly string[];
    timeoutSeconds: number;
  }[];
  streams: {
    function: string;
    table: string;
    batchSize: number;
    maximumRetryAttempts: number;
    /** -1: no age limit but the stream's retention */
    maximumRecordAgeInSeconds: number;
    bisect: boolean;
    reportBatchItemFailures: boolean;
    onFailureQueue?: string;
  }[];
  routes: { function: string; method: string; path: string }[];
  /** Rules invoking a function directly (Serverless `eventBridge` events). */
  rules: { function: string; bus: string; pattern: Pattern }[];
  /** Rules delivering to a queue (resources). */
  queueRules: LocalQueueRule[];
  /** Rules forwarding to another bus (resources). */
  busRules: LocalBusRule[];
  sqs: LocalSqsMapping[];
  /** logical id -> queue */
  queues: Record<string, LocalQueueSpec>;
  buses: Record<string, string>;
  environment: Record<string, string>;
  /** The names of every variable of the provider's environment (every function's), literal or not. */
  sharedVariables?: readonly string[];
}

/** The queue's name on a stage, as cloudformation.ts names it (`<base>-<stage>`, `.fifo` last). */
export const localQueueName = (queue: LocalQueueSpec, stage: string): string =>
  `${queue.baseName}-${stage}${queue.fifo ? '.fifo' : ''}`;

type Resource = { Type: string; Properties?: Record<string, unknown> };

type Printed = {
  provider: { environment?: Record<string, string>; timeout?: number };
  functions: Record<
    string,
    {
      handler: string;
      timeout?: number;
      environment?: Record<string, string>;
      events?: Record<string, unknown>[];
    }
  >;
  resources?: { Resources?: Record<string, Resource> }[] | object;
};

const PRINT_STAGE = 'dev';

/** Logical id of `!GetAtt X.Arn`, `{ Fn::GetAtt: [X, ...] }` or `{ Ref: X }`. */
function logicalId(value: unknown): string {
  const v = value as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
  const id = v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
  if (!id) throw new Error(`expected a CloudFormation reference, got ${JSON.stringify(value)}`);
  return id;
}

const baseName = (name: unknown): string =>
  String(name).replace(new RegExp(`-${PRINT_STAGE}(\\.fifo)?$`), '');

/** Pure: the resolved serverless config -> local wiring. */
export function wiringFrom(printed: Printed): LocalWiring {
  const resources = (Array.isArray(printed.resources) ? printed.resources : [printed.resources]).flatMap(
    (r) => Object.entries((r as { Resources?: Record<string, Resource> })?.Resources ?? {}),
  );
  const queues = Object.fromEntries(
    resources.filter(([, r]) => r.Type === 'AWS::SQS::Queue').map(([id, r]) => [id, queueSpec(r)]),
  );
  const buses = Object.fromEntries(
    resources
      .filter(([, r]) => r.Type === 'AWS::Events::EventBus')
      .map(([id, r]) => [id, baseName(r.Properties?.Name)]),
  );
  const rules = resources.filter(([, r]) => r.Type === 'AWS::Events::Rule');
  const busTarget = ([, r]: [string, Resource]) => targetBus(r, buses) !== undefined;
  const wiring: LocalWiring = {
    functions: [],
    streams: [],
    routes: [],
    rules: [],
    queueRules: rules.filter((rule) => !busTarget(rule)).map(([id, r]) => queueRule(id, r, queues)),
    busRules: rules.filter(busTarget).map(([id, r]) => busRule(id, r, buses)),
    sqs: [],
    queues,
    buses,
    environment: literalValues(printed.provider.environment),
    sharedVariables: Object.keys(printed.provider.environment ?? {}),
  };
  for (const [name, fn] of Object.entries(printed.functions)) {
    const dot = fn.handler.lastIndexOf('.');
    wiring.functions.push({
      name,
      module: `${fn.handler.slice(0, dot)}.ts`,
      exportName: fn.handler.slice(dot + 1),
      environment: literalValues(fn.environment),
      variables: Object.keys(fn.environment ?? {}),
      timeoutSeconds: fn.timeout ?? printed.provider.timeout ?? 6,
    });
    for (const event of fn.events ?? []) addEvent(wiring, name, event);
  }
  return wiring;
}

function queueSpec(resource: Resource): LocalQueueSpec {
  const p = resource.Properties ?? {};
  const redrive = p.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number } | undefined;
  return {
    baseName: baseName(p.QueueName),
    fifo: p.FifoQueue === true,
    contentBasedDeduplication: p.ContentBasedDeduplication === true,
    ...(p.VisibilityTimeout === undefined ? {} : { visibilityTimeoutSeconds: Number(p.VisibilityTimeout) }),
    ...(p.MessageRetentionPeriod === undefined ? {} : { retentionSeconds: Number(p.MessageRetentionPeriod) }),
    ...(redrive
      ? {
          redrive: {
            deadLetterQueue: logicalId(redrive.deadLetterTargetArn),
            maxReceiveCount: Number(redrive.maxReceiveCount),
          },
        }
      : {}),
  };
}

/** A rule resource the local runtime can run: one target, a queue of the template. */
function queueRule(id: string, resource: Resource, queues: Record<string, LocalQueueSpec>): LocalQueueRule {
  const p = resource.Properties ?? {};
  const targets = (p.Targets ?? []) as { Arn: unknown; SqsParameters?: { MessageGroupId?: string } }[];
  const [target] = targets;
  const queue = target ? logicalId(target.Arn) : '';
  if (targets.length !== 1 || !queues[queue])
    throw new Error(`rule ${id}: the local runtime runs rules with exactly one queue target`);
  const groupId = target?.SqsParameters?.MessageGroupId;
  const undelivered = undeliveredOf(target);
  return {
    name: id,
    bus: ruleBus(p),
    pattern: p.EventPattern as Pattern,
    queue,
    ...(groupId ? { messageGroupId: groupId } : {}),
    ...(undelivered ? { undelivered } : {}),
  };
}

/** A target's RetryPolicy and DeadLetterConfig, if it has either (EventBridge's defaults otherwise). */
function undeliveredOf(target: unknown): LocalUndelivered | undefined {
  const t = target as
    | {
        RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
        DeadLetterConfig?: { Arn: unknown };
      }
    | undefined;
  if (!t?.RetryPolicy && !t?.DeadLetterConfig) return undefined;
  return {
    maximumRetryAttempts: Number(t.RetryPolicy?.MaximumRetryAttempts ?? 185),
    maximumEventAgeSeconds: Number(t.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400),
    ...(t.DeadLetterConfig ? { deadLetterQueue: logicalId(t.DeadLetterConfig.Arn) } : {}),
  };
}

const ruleBus = (p: Record<string, unknown>): string =>
  typeof p.EventBusName === 'string' ? p.EventBusName : logicalId(p.EventBusName);

/** The bus a rule's single target is (a bus of the template, or the account's default bus), if it is one. */
function targetBus(resource: Resource, buses: Record<string, string>): string | undefined {
  const targets = (resource.Properties?.Targets ?? []) as { Arn: unknown }[];
  const arn = targets.length === 1 ? targets[0]?.Arn : undefined;
  const sub = (arn as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
  if (typeof sub === 'string' && sub.endsWith(':event-bus/default')) return 'default';
  const id = (arn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  return id !== undefined && buses[id] !== undefined ? id : undefined;
}

function busRule(id: string, resource: Resource, buses: Record<string, string>): LocalBusRule {
  const p = resource.Properties ?? {};
  const undelivered = undeliveredOf((p.Targets as unknown[] | undefined)?.[0]);
  return {
    name: id,
    bus: ruleBus(p),
    pattern: p.EventPattern as Pattern,
    targetBus: targetBus(resource, buses) ?? '',
    ...(undelivered ? { undelivered } : {}),
  };
}

function addEvent(wiring: LocalWiring, fn: string, event: Record<string, unknown>): void {
  const [kind, spec] = Object.entries(event)[0] as [string, Record<string, unknown>];
  switch (kind) {
    case 'stream': {
      const onFailure = (spec.destinations as { onFailure?: { arn: unknown } } | undefined)?.onFailure;
      wiring.streams.push({
        function: fn,
        table: logicalId(spec.arn),
        batchSize: Number(spec.batchSize ?? 100),
        maximumRetryAttempts: Number(spec.maximumRetryAttempts ?? -1),
        maximumRecordAgeInSeconds: Number(spec.maximumRecordAgeInSeconds ?? -1),
        bisect: spec.bisectBatchOnFunctionError === true,
        reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
        ...(onFailure ? { onFailureQueue: logicalId(onFailure.arn) } : {}),
      });
      return;
    }
    case 'httpApi':
      // `httpApi: '*'` is API Gateway's $default route: every request no other route matches.
      wiring.routes.push(
        (spec as unknown) === '*'
          ? { function: fn, method: '*', path: '$default' }
          : { function: fn, method: String(spec.method).toUpperCase(), path: String(spec.path) },
      );
      return;
    case 'eventBridge':
      // Without `eventBus`, Serverless puts the rule on the account's default bus.
      wiring.rules.push({
        function: fn,
        bus: spec.eventBus === undefined ? 'default' : logicalId(spec.eventBus),
        pattern: spec.pattern as Pattern,
      });
      return;
    case 'sqs':
      wiring.sqs.push({
        function: fn,
        queue: logicalId(spec.arn),
        batchSize: Number(spec.batchSize ?? 10),
        maximumBatchingWindowSeconds: Number(spec.maximumBatchingWindow ?? 0),
        reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
      });
      return;
    default:
      throw new Error(`function ${fn}: the local runtime cannot run ${kind} events`);
  }
}

/** Resolves serverless.yml once per content (cached under .local/), so `npm start` stays quick. */
export function loadWiring(root: string): LocalWiring {
  // serverless.yml renders definitions from the code: any source file may change the wiring.
  const hash = createHash('sha256');
  for (const file of ['serverless.yml', ...sourceFiles(root, 'src'), ...sourceFiles(root, 'projections')]) {
    hash.update(file).update(readFileSync(join(root, file)));
  }
  const digest = hash.digest('hex').slice(0, 16);
  const cache = join(root, '.local', `wiring-${digest}.json`);
  if (existsSync(cache)) return wiringFrom(JSON.parse(readFileSync(cache, 'utf8')));
  const run = spawnSync(
    process.execPath,
    [join(root, 'scripts/sls.mjs'), 'print', '--format', 'json', '--stage', PRINT_STAGE],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`serverless print failed:\n${run.stderr}`);
  const json = run.stdout.slice(run.stdout.indexOf('{'));
  const wiring = wiringFrom(JSON.parse(json));
  mkdirSync(join(root, '.local'), { recursive: true });
  writeFileSync(cache, json);
  return wiring;
}

/** Source files under `dir` (relative to root), tests excluded, in a stable order. */
function sourceFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|cjs)$/.test(file) && !/\.test\.ts$/.test(file))
    .map((file) => join(dir, file))
    .sort();
}

/**
 * Environment values that are plain strings. Values that are CloudFormation references (the user pool's id,
 * a secret) or dynamic references (`{{resolve:ssm:...}}`, an operator's parameter) only exist in AWS; the local
 * runtime sets its own stand-ins for those.
 */
function literalValues(environment: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment ?? {}).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' && !entry[1].startsWith('{{resolve:'),
    ),
  );
}
