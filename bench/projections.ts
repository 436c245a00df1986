/**
 * Projection benchmark against DynamoDB Local, in one process:
 * 1. rebuild of 200,000 events (tenants projection: an audit row per event plus the tenant's rows), as
 *    events/s, against raw BatchWriteItem items/s into a table of the same definition, measured before and
 *    after the rebuild in the same run (the mean is the baseline);
 * 2. projection lag p50/p99 in the local runtime (stream poller -> dispatcher -> bbws-tenants) under a steady
 *    50 commands/s.
 * Run: npm run bench:projections [-- --events 200000 --seconds 20 --warmup 8 --only rebuild|lag]. The last line is
 * one JSON object; the run fails (exit 1) if any figure is not a finite number.
 */

import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { catalogue } from '#src/contexts/catalogue.js';
import { projections } from '#src/contexts/projections.js';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { documentClient, dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { NewEvent } from '#src/platform/event-store/event-store.port.js';
import { app } from '#src/platform/infra/app.js';
import { cloudFormationTable } from '#src/platform/infra/cloudformation.js';
import { createTables, tableName } from '#src/platform/infra/create-tables.js';
import type { TableDefinition } from '#src/platform/infra/definitions.js';
import { startDynamoDbLocal } from '#src/platform/local/dynamodb-local.js';
import { startLocalRuntime } from '#src/platform/local/runtime.js';
import { DynamoBulkRowWriter, DynamoProgressStore } from '#src/platform/projection-runtime/dynamodb.bulk.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import type { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { rebuild } from '#src/platform/projection-runtime/rebuild.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { wiring } from '#src/platform/wiring.js';
import { median, parseBenchArgs, percentile, printFigures, wholeNumber } from './measure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const USAGE = `Usage: npm run bench:projections [-- options]

  --events N        events to append and rebuild (default 200000)
  --seconds S       seconds of steady load measured for lag (default 20)
  --warmup W        seconds of the same load before, unmeasured (default 8; 0 for none)
  --only PART       rebuild or lag: run one part in this process
  -h, --help        this text`;
const options = parseBenchArgs(USAGE, () => {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '8' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.only !== undefined && values.only !== 'rebuild' && values.only !== 'lag') {
    throw new RangeError(`--only must be rebuild or lag, got "${values.only}"`);
  }
  return {
    help: values.help,
    events: wholeNumber('events', values.events),
    seconds: wholeNumber('seconds', values.seconds),
    warmup: wholeNumber('warmup', values.warmup, 0),
    only: values.only as 'rebuild' | 'lag' | undefined,
  };
});
const TOTAL_EVENTS = options.events;
const LAG_SECONDS = options.seconds;
const WARMUP_SECONDS = options.warmup;
const EVENTS_PER_STREAM = 50;
const STAGE = 'bench';

const newEvent = (type: string, data: unknown, tenantId: string): NewEvent => ({
  eventId: ulid(),
  type,
  occurredAt: new Date().toISOString(),
  data,
  metadata: { correlationId: ulid(), actor: 'bench', tenantId },
});

/** One tenant's history: created, then updates and user assignments. */
function history(tenantId: string): NewEvent[] {
  const events = [
    newEvent(
      'TENANT_CREATED',
      { tenantId, organizationName: `Org ${tenantId}`, contactEmail: 'ops@bench.test', environment: 'dev' },
      tenantId,
    ),
  ];
  for (let i = 1; i < EVENTS_PER_STREAM; i++) {
    events.push(
      i % 25 === 0
        ? newEvent('USER_ASSIGNED', { userId: `u${i}`, role: 'TenantMember' }, tenantId)
        : newEvent('TENANT_UPDATED', { contactEmail: `ops${i}@bench.test` }, tenantId),
    );
  }
  return events;
}

async function parallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
    }),
  );
}

async function rebuildFigures() {
  const dynamo = await startDynamoDbLocal();
  const raw = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  // the raw baseline table: the tenants table's own definition, created first (late tables are slow)
  const definition = cloudFormationTable(app.tables.TenantsV2Table as TableDefinition, STAGE)
    .Properties as unknown as CreateTableCommandInput;
  await raw.send(
    new CreateTableCommand({
      TableName: 'bench-raw-rows',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: definition.AttributeDefinitions,
      KeySchema: definition.KeySchema,
      GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes,
    }),
  );
  await createTables(raw, STAGE);
  const doc = documentClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  const store = new DynamoEventStore(doc, tableName('EventStoreTable', STAGE), catalogue);

  const streams = Array.from({ length: Math.ceil(TOTAL_EVENTS / EVENTS_PER_STREAM) }, () => ulid());
  const loadStart = Date.now();
  await parallel(streams, 16, async (tenantId) => {
    await store.append(`tenant-${tenantId}`, 'no_stream', history(tenantId));
  });
  console.error(
    `appended ${streams.length * EVENTS_PER_STREAM} events in ${((Date.now() - loadStart) / 1000).toFixed(1)}s`,
  );

  const bulk = new DynamoBulkRowWriter(doc);
  const rawRate = async (items: number) => {
    // rows shaped like the audit rows the projection writes
    const rows = Array.from({ length: items }, (_, i) => ({
      PK: `TENANT#${ulid()}`,
      SK: `EVENT#${new Date().toISOString()}#${ulid()}`,
      eventId: ulid(),
      type: 'TENANT_UPDATED',
      version: i,
      occurredAt: new Date().toISOString(),
      actor: 'bench',
      correlationId: ulid(),
      data: { contactEmail: 'ops@bench.test' },
    }));
    const start = Date.now();
    await bulk.putRows('bench-raw-rows', rows);
    return items / ((Date.now() - start) / 1000);
  };
  await rawRate(TOTAL_EVENTS / 10); // JIT warm-up of DynamoDB Local's write path, not measured
  const rawBefore = await rawRate(TOTAL_EVENTS / 4);

  const registry = new ProjectionRegistry(
    doc,
    tableName('ProjectionRegistryTable', STAGE),
    (id) => tableName(id, STAGE),
    projections,
    0,
  );
  const start = Date.now();
  const result = await rebuild(
    {
      store,
      registry,
      writer: new DynamoProjectionWriter(doc, store),
      bulk,
      progress: new DynamoProgressStore(doc, tableName('ProjectionRegistryTable', STAGE)),
      clock: () => new Date(),
      sleep: async () => {},
      registryTtlMs: 0,
    },
    'tenants',
    2,
    { segments: 4 },
  );
  const rebuildRate = result.events / ((Date.now() - start) / 1000);
  const rawAfter = await rawRate(TOTAL_EVENTS / 4);
  doc.destroy();
  raw.destroy();
  await dynamo.stop();
  const rawMean = (rawBefore + rawAfter) / 2;
  const rowsPerEvent =
    (EVENTS_PER_STREAM + 3 + Math.floor((EVENTS_PER_STREAM - 1) / 25) + 1) / EVENTS_PER_STREAM;
  console.log(
    `rebuild: ${result.events} events of ${result.streams} streams at ${Math.round(rebuildRate)} events/s (${rowsPerEvent.toFixed(2)} rows written per event)`,
  );
  console.log(`raw BatchWriteItem: ${Math.round(rawBefore)} items/s before, ${Math.round(rawAfter)} after`);
  return {
    rebuildEventsPerSec: Math.round(rebuildRate),
    rawItemsPerSec: Math.round(rawMean),
    rebuildVsRawBatchWrite: round(rebuildRate / rawMean),
  };
}

/** `seconds` of a steady 50 commands/s on 50 tenants (each created first, then updated). */
async function steadyLoad(runner: CommandRunner, seconds: number): Promise<number> {
  const tenants = Array.from({ length: 50 }, () => ulid());
  const commands = seconds * 50;
  const start = Date.now();
  const inFlight: Promise<unknown>[] = [];
  const created = new Map<string, Promise<unknown>>();
  for (let i = 0; i < commands; i++) {
    // a steady 50 commands/s: command i starts at start + 20 ms * i
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + i * 20 - Date.now())));
    const tenantId = tenants[i % tenants.length] as string;
    const command =
      i < tenants.length
        ? {
            type: 'CreateTenant' as const,
            tenantId,
            organizationName: `Org ${tenantId}`,
            contactEmail: 'a@b.test',
            environment: 'dev' as const,
          }
        : { type: 'UpdateTenant' as const, contactEmail: `c${i}@b.test` };
    const run = () =>
      runner.run({
        decider: tenantDecider,
        streamId: `tenant-${tenantId}`,
        command,
        metadata: { correlationId: ulid(), actor: 'bench' },
        result: () => null,
      });
    // each tenant's commands go one after another, as one client's would; tenants run concurrently
    const done = (created.get(tenantId) ?? Promise.resolve()).then(run);
    created.set(tenantId, done);
    inFlight.push(done);
  }
  await Promise.all(inFlight);
  return commands;
}

async function lagFigures() {
  const runtime = await startLocalRuntime({ stage: STAGE, pollMs: 10, startingPosition: 'LATEST' });
  const doc = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  const store = new DynamoEventStore(doc, tableName('EventStoreTable', STAGE), catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const metrics = wiring().metrics as RecordingMetrics;
  // Warm-up: the same steady load for a while first (the handler modules load, both JITs settle), unmeasured.
  await steadyLoad(runner, WARMUP_SECONDS);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  metrics.points.length = 0;
  const commands = await steadyLoad(runner, LAG_SECONDS);
  const deadline = Date.now() + 10_000;
  while (
    metrics.points.filter((p) => p.name === 'ProjectionLag').length < commands &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lags = metrics.points.filter((p) => p.name === 'ProjectionLag').map((p) => p.value);
  doc.destroy();
  await runtime.stop();
  console.log(
    `lag over ${lags.length} events at 50 commands/s: p50 ${median(lags)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms`,
  );
  return { lagP50Ms: median(lags), lagP99Ms: percentile(lags, 99), lagEvents: lags.length };
}

const round = (x: number) => Math.round(x * 100) / 100;

function lagInChildProcess(): Record<string, number> {
  const args = [
    '--import',
    'tsx',
    'bench/projections.ts',
    '--only',
    'lag',
    '--seconds',
    String(LAG_SECONDS),
    '--warmup',
    String(WARMUP_SECONDS),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`the lag benchmark failed:\n${child.stdout}`);
  const lines = child.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) console.log(line);
  return JSON.parse(lines.at(-1) ?? '{}');
}

async function main() {
  const { only } = options;
  const rebuilt = only === 'lag' ? {} : await rebuildFigures();
  // The lag part runs in a fresh process: the rebuild's 200,000 events of garbage would otherwise pause the
  // process that hosts the runtime (its GC pauses showed up as p99 lag).
  const lag = only === 'rebuild' ? {} : only === 'lag' ? await lagFigures() : lagInChildProcess();
  printFigures({ ...rebuilt, ...lag });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
