import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantPK, tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { applyChanges, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import { tenantCommandArb } from '#test/tenant-arbitraries.js';
import { fromEventRecords, ProjectionDispatcher } from './dispatcher.js';
import { DynamoParkedEvents } from './dynamodb.parked-events.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { RecordingMetrics } from './metrics.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const target = { projection: tenantsV1, tableName: testTable('TenantsV1Table') };
const dispatcher = new ProjectionDispatcher({
  writer: new DynamoProjectionWriter(client, store),
  parked: new DynamoParkedEvents(client, testTable('ParkedEventsTable')),
  targets: async () => [target],
  metrics: new RecordingMetrics(),
  clock: () => new Date(),
  policy: { maxAttempts: 3, parkAfterMs: 3_600_000 },
});

/** Runs random commands on a few new tenants; returns one record per append, in append order. */
async function history(commandsPerTenant: TenantCommand[][]) {
  const records: EventRecord[] = [];
  const tenants: string[] = [];
  let sequence = 0;
  for (const commands of commandsPerTenant) {
    const tenantId = ulid();
    tenants.push(tenantId);
    for (const command of commands) {
      const outcome = await runner
        .run({
          decider: tenantDecider,
          streamId: `tenant-${tenantId}`,
          command: uniqueNames(command, tenantId),
          metadata: metadata({ tenantId }),
          result: () => null,
        })
        .catch(() => undefined);
      if (outcome && outcome.events.length > 0) {
        records.push({ sequenceNumber: String(++sequence).padStart(21, '0'), events: outcome.events });
      }
    }
  }
  return { records, tenants };
}

/** Organisation names are unique across the shared test table: make them the tenant's own. */
function uniqueNames(command: TenantCommand, tenantId: string): TenantCommand {
  if (command.type === 'CreateTenant')
    return { ...command, tenantId, organizationName: `${command.organizationName} ${tenantId}` };
  if (command.type === 'UpdateTenant')
    return { ...command, organizationName: `${command.organizationName} ${tenantId}` };
  return command;
}

const delivered = new Set<string>();

/** Delivers like a Lambda event source mapping: redelivers from whatever the handler reports as failed. */
async function deliver(batch: EventRecord[]): Promise<void> {
  for (const record of batch) delivered.add(record.sequenceNumber + record.events.length);
  let pending = batch;
  for (let attempt = 0; pending.length > 0 && attempt < 10; attempt++) {
    const failed = await dispatcher.handle(fromEventRecords(pending));
    pending =
      failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequenceNumber === failed));
  }
  expect(pending).toEqual([]);
}

function cleanRebuild(records: EventRecord[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  const events: EventEnvelope[] = records.flatMap((r) => r.events);
  for (const event of events) applyChanges(rows, tenantsV1.apply(rows, event));
  return rows;
}

async function storedRows(tenants: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const tenantId of tenants) {
    const out = await client.send(
      new QueryCommand({
        TableName: target.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': tenantPK(tenantId) },
        ConsistentRead: true,
      }),
    );
    rows.push(...((out.Items ?? []) as Row[]));
  }
  return rows;
}

const normalise = (rows: Iterable<Row>) =>
  JSON.parse(JSON.stringify([...rows].sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`))));

const deliveryArb = fc.record({
  start: fc.nat(30),
  length: fc.integer({ min: 1, max: 6 }),
  /** deliver only a prefix first, as a crash mid-batch would leave it, then the whole batch again */
  crashAfter: fc.option(fc.nat(5), { nil: undefined }),
});

describe('projection dispatcher on DynamoDB Local', () => {
  it('ends with the rows of a clean rebuild under duplicates, redelivery, reordering and crashes mid-batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(tenantCommandArb(), { minLength: 1, maxLength: 8 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(deliveryArb, { maxLength: 8 }),
        async (commands, deliveries) => {
          delivered.clear();
          const { records, tenants } = await history(commands);
          for (const d of deliveries) {
            const batch = records.slice(d.start % Math.max(1, records.length)).slice(0, d.length);
            if (d.crashAfter !== undefined) {
              const cut = batch.slice(0, d.crashAfter + 1);
              const last = cut.at(-1);
              if (last) cut[cut.length - 1] = { ...last, events: last.events.slice(0, 1) };
              await deliver(cut);
            }
            await deliver(batch);
          }
          // Every record arrives at least once: whatever the schedule left out comes now, in order.
          await deliver(records.filter((r) => !delivered.has(r.sequenceNumber + r.events.length)));
          expect(normalise(await storedRows(tenants))).toEqual(normalise(cleanRebuild(records).values()));
        },
      ),
      { numRuns: 25 },
    );
  });
});
