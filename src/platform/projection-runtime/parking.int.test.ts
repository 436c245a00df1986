import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantPK, tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { Projection } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import { ProjectionDispatcher } from './dispatcher.js';
import { DynamoParkedEvents, targetName } from './dynamodb.parked-events.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { RecordingMetrics } from './metrics.js';
import { redrive } from './redrive.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const parked = new DynamoParkedEvents(client, testTable('ParkedEventsTable'));

async function run(tenantId: string, commands: TenantCommand[]): Promise<EventRecord[]> {
  const records: EventRecord[] = [];
  for (const command of commands) {
    const outcome = await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    records.push({ sequenceNumber: ulid(), events: outcome.events });
  }
  return records;
}

const lifecycle = (tenantId: string): TenantCommand[] => [
  {
    type: 'CreateTenant',
    tenantId,
    organizationName: `Org ${tenantId}`,
    contactEmail: 'a@b.test',
    environment: 'sit',
  },
  { type: 'ParkTenant', reason: 'unpaid' },
  { type: 'AssignUser', userId: 'u1', role: 'TenantAdmin' },
  { type: 'UnparkTenant' },
];

async function metadataRow(target: { tableName: string }, tenantId: string) {
  const out = await client.send(
    new QueryCommand({
      TableName: target.tableName,
      KeyConditionExpression: 'PK = :pk AND SK = :sk',
      ExpressionAttributeValues: { ':pk': tenantPK(tenantId), ':sk': 'METADATA' },
      ConsistentRead: true,
    }),
  );
  return out.Items?.[0];
}

describe('poison events', () => {
  it('are parked with a metric, hold back their stream, let others flow, and complete after a re-drive', async () => {
    const [sick, healthy] = [ulid(), ulid()];
    const sickRecords = await run(sick, lifecycle(sick));
    const healthyRecords = await run(healthy, lifecycle(healthy));
    const poison = sickRecords[1]?.events[0]?.eventId; // TENANT_PARKED of the sick tenant
    // A projection "bug" that throws on one event, in a version of its own so its parked rows are its own.
    const buggy: Projection = {
      ...tenantsV1,
      version: 91,
      apply: (rows, event) => {
        if (event.eventId === poison) throw new Error('bug: cannot project this event');
        return tenantsV1.apply(rows, event);
      },
    };
    const target = { projection: buggy, tableName: testTable('TenantsV1Table') };
    const metrics = new RecordingMetrics();
    const dispatcher = new ProjectionDispatcher({
      writer,
      parked,
      targets: async () => [target],
      metrics,
      clock: () => new Date(),
      maxAttempts: 3,
    });
    // interleave both streams' records, delivered Lambda-style (redeliver from the reported failure)
    let pending = sickRecords.flatMap((r, i) => [r, healthyRecords[i] as EventRecord]);
    let invocations = 0;
    while (pending.length > 0 && invocations++ < 20) {
      const failed = await dispatcher.handle(pending);
      pending =
        failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequenceNumber === failed));
    }
    expect(pending).toEqual([]);
    expect(metrics.total('ParkedEvents')).toBe(3); // the poison event and the two behind it

    const list = await parked.list({ projection: targetName(target), streamId: `tenant-${sick}` });
    expect(list.map((p) => [p.version, p.event.type])).toEqual([
      [2, 'TENANT_PARKED'],
      [3, 'USER_ASSIGNED'],
      [4, 'TENANT_UNPARKED'],
    ]);
    expect(list[0]).toMatchObject({
      attempts: 3,
      error: expect.stringContaining('bug: cannot project this event'),
    });
    // the sick stream stopped at version 1; the healthy one is complete
    expect(await metadataRow(target, sick)).toMatchObject({ version: 1, status: 'ACTIVE' });
    expect(await metadataRow(target, healthy)).toMatchObject({ version: 4, status: 'ACTIVE' });

    // the fix ships: re-drive with the correct projection
    const fixed = { projection: { ...tenantsV1, version: 91 }, tableName: target.tableName };
    const report = await redrive({ writer, parked, target: () => fixed }, { projection: targetName(target) });
    expect(report).toMatchObject({ applied: 3, streams: 1 });
    expect(await parked.list({ projection: targetName(target) })).toEqual([]);
    expect(await metadataRow(target, sick)).toMatchObject({ version: 4, status: 'ACTIVE' });
    expect(await writer.checkpoint(fixed, `tenant-${sick}`)).toEqual({ version: 4 });
  });
});
