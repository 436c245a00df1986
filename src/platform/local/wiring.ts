import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pattern } from './event-pattern.js';

/** Which function listens to what: read from serverless.yml (resolved by `serverless print`), never a second list. */
export interface LocalWiring {
  functions: { name: string; module: string; exportName: string; environment: Record<string, string> }[];
  streams: {
    function: string;
    table: string;
    batchSize: number;
    maximumRetryAttempts: number;
    bisect: boolean;
    reportBatchItemFailures: boolean;
    onFailureQueue?: string;
  }[];
  routes: { function: string; method: string; path: string }[];
  rules: { function: string; bus: string; pattern: Pattern }[];
  sqs: { function: string; queue: string; batchSize: number }[];
  /** logical id -> base name (stage suffix removed) */
  queues: Record<string, string>;
  buses: Record<string, string>;
  environment: Record<string, string>;
}

type Printed = {
  provider: { environment?: Record<string, string> };
  functions: Record<
    string,
    { handler: string; environment?: Record<string, string>; events?: Record<string, unknown>[] }
  >;
  resources?:
    | { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }[]
    | object;
};

const PRINT_STAGE = 'dev';

/** Logical id of `!GetAtt X.Arn`, `{ Fn::GetAtt: [X, ...] }` or `{ Ref: X }`. */
function logicalId(value: unknown): string {
  const v = value as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
  const id = v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
  if (!id) throw new Error(`expected a CloudFormation reference, got ${JSON.stringify(value)}`);
  return id;
}

const baseName = (name: unknown): string => String(name).replace(new RegExp(`-${PRINT_STAGE}$`), '');

/** Pure: the resolved serverless config -> local wiring. */
export function wiringFrom(printed: Printed): LocalWiring {
  const resources = (Array.isArray(printed.resources) ? printed.resources : [printed.resources]).flatMap(
    (r) =>
      Object.entries(
        (r as { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> })
          ?.Resources ?? {},
      ),
  );
  const wiring: LocalWiring = {
    functions: [],
    streams: [],
    routes: [],
    rules: [],
    sqs: [],
    queues: Object.fromEntries(
      resources
        .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
        .map(([id, r]) => [id, baseName(r.Properties?.QueueName)]),
    ),
    buses: Object.fromEntries(
      resources
        .filter(([, r]) => r.Type === 'AWS::Events::EventBus')
        .map(([id, r]) => [id, baseName(r.Properties?.Name)]),
    ),
    environment: printed.provider.environment ?? {},
  };
  for (const [name, fn] of Object.entries(printed.functions)) {
    const dot = fn.handler.lastIndexOf('.');
    wiring.functions.push({
      name,
      module: `${fn.handler.slice(0, dot)}.ts`,
      exportName: fn.handler.slice(dot + 1),
      environment: fn.environment ?? {},
    });
    for (const event of fn.events ?? []) addEvent(wiring, name, event);
  }
  return wiring;
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
        bisect: spec.bisectBatchOnFunctionError === true,
        reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
        ...(onFailure ? { onFailureQueue: logicalId(onFailure.arn) } : {}),
      });
      return;
    }
    case 'httpApi':
      wiring.routes.push({
        function: fn,
        method: String(spec.method).toUpperCase(),
        path: String(spec.path),
      });
      return;
    case 'eventBridge':
      wiring.rules.push({ function: fn, bus: logicalId(spec.eventBus), pattern: spec.pattern as Pattern });
      return;
    case 'sqs':
      wiring.sqs.push({ function: fn, queue: logicalId(spec.arn), batchSize: Number(spec.batchSize ?? 10) });
      return;
    default:
      throw new Error(`function ${fn}: the local runtime cannot run ${kind} events`);
  }
}

/** Resolves serverless.yml once per content (cached under .local/), so `npm start` stays quick. */
export function loadWiring(root: string): LocalWiring {
  const hash = createHash('sha256')
    .update(readFileSync(join(root, 'serverless.yml')))
    .update(readFileSync(join(root, 'src/platform/infra/tables.cjs')))
    .digest('hex')
    .slice(0, 16);
  const cache = join(root, '.local', `wiring-${hash}.json`);
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
