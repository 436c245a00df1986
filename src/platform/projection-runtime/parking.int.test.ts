import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantPK, tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { applyChanges, type Projection, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import type { ConsumedRecord } from './consumed-records.js';
import { fromEventRecords, ProjectionDispatcher } from './dispatcher.js';
import { DynamoParkedEvents } from './dynamodb.parked-events.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { RecordingMetrics } from './metrics.js';
import { type ProjectionTarget, type ProjectionWriter, targetName } from './ports.js';
import { redrive } from './redrive.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const parked = new DynamoParkedEvents(client, testTable('ParkedEventsTable'));
const HOUR = 3_600_000;

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
    records.push({ sequenceNumber: String(records.length + 1).padStart(21, '0'), events: outcome.events });
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

/** A projection version of its own (its parked records are its own) that throws where `sick` says. */
function projectionWith(version: number, sick: (type: string, eventId: string) => boolean): Projection {
  return {
    ...tenantsV1,
    version,
    apply: (rows, event) => {
      if (sick(event.type, event.eventId)) throw new TypeError('bug: cannot project this event');
      return tenantsV1.apply(rows, event);
    },
  };
}

const targetOf = (projection: Projection): ProjectionTarget => ({
  projection,
  tableName: testTable('TenantsV1Table'),
});

function dispatcherFor(
  target: ProjectionTarget,
  options: { writer?: ProjectionWriter; now?: () => number } = {},
) {
  const metrics = new RecordingMetrics();
  const dispatcher = new ProjectionDispatcher({
    writer: options.writer ?? writer,
    parked,
    targets: async () => [target],
    metrics,
    clock: () => new Date(options.now?.() ?? Date.now()),
    policy: { maxAttempts: 3, parkAfterMs: HOUR },
  });
  return { dispatcher, metrics };
}

/** Delivers like a Lambda event source mapping: redelivers from the reported failure, up to `max` times. */
async function deliver(dispatcher: ProjectionDispatcher, records: ConsumedRecord[], max = 20) {
  let pending = records;
  for (let invocations = 0; pending.length > 0 && invocations < max; invocations++) {
    const failed = await dispatcher.handle(pending);
    pending =
      failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequenceNumber === failed));
  }
  return pending;
}

async function rows(tenantId: string): Promise<Row[]> {
  const out = await client.send(
    new QueryCommand({
      TableName: testTable('TenantsV1Table'),
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': tenantPK(tenantId) },
      ConsistentRead: true,
    }),
  );
  return normalise(out.Items as Row[]);
}

async function cleanRows(tenantId: string): Promise<Row[]> {
  const folded = new Map<string, Row>();
  for (const event of await store.readStream(`tenant-${tenantId}`))
    applyChanges(folded, tenantsV1.apply(folded, event));
  return normalise([...folded.values()]);
}

const normalise = (list: Row[]) =>
  JSON.parse(JSON.stringify(list.sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`))));

describe('poison events', () => {
  it('are parked with a metric, hold back their stream, let others flow, and complete after a re-drive', async () => {
    const [sick, healthy] = [ulid(), ulid()];
    const sickRecords = await run(sick, lifecycle(sick));
    const healthyRecords = await run(healthy, lifecycle(healthy));
    const poison = sickRecords[1]?.events[0]?.eventId; // TENANT_PARKED of the sick tenant
    const target = targetOf(projectionWith(91, (_type, id) => id === poison));
    const { dispatcher, metrics } = dispatcherFor(target);
    // interleave both streams' records, delivered Lambda-style (redeliver from the reported failure)
    const interleaved = sickRecords.flatMap((r, i) => [r, healthyRecords[i] as EventRecord]);
    expect(await deliver(dispatcher, fromEventRecords(interleaved))).toEqual([]);
    expect(metrics.total('ParkedEvents')).toBe(3); // the poison event and the two behind it

    const list = await parked.list({ consumer: targetName(target), streamId: `tenant-${sick}` });
    expect(list.map((p) => [p.version, p.type, p.kind])).toEqual([
      [2, 'TENANT_PARKED', 'poison'],
      [3, 'USER_ASSIGNED', 'waiting'],
      [4, 'TENANT_UNPARKED', 'waiting'],
    ]);
    expect(list[0]).toMatchObject({
      attempts: 3,
      error: expect.stringContaining('bug: cannot project this event'),
    });
    expect(list[0]?.eventId).toBe(poison); // a reference to the event, never the event (it may name people)
    const raw = await client.send(
      new ScanCommand({
        TableName: testTable('ParkedEventsTable'),
        FilterExpression: 'streamId = :s',
        ExpressionAttributeValues: { ':s': `tenant-${sick}` },
      }),
    );
    expect(raw.Items?.length).toBe(3);
    expect(JSON.stringify(raw.Items)).not.toMatch(/"data"|contactEmail|@[a-z.]+\.(test|com)/);
    expect((await rows(sick)).find((r) => r.SK === 'METADATA')).toMatchObject({
      version: 1,
      status: 'ACTIVE',
    });
    expect(await rows(healthy)).toEqual(await cleanRows(healthy));

    // the fix ships: re-drive with the correct projection
    const fixed = targetOf({ ...tenantsV1, version: 91 });
    const report = await redrive(
      { writer, parked, store, target: () => fixed },
      { consumer: targetName(target) },
    );
    expect(report).toMatchObject({ applied: 3, streams: 1 });
    expect(await parked.list({ consumer: targetName(target) })).toEqual([]);
    expect(await rows(sick)).toEqual(await cleanRows(sick));
    expect(await writer.checkpoint(fixed, `tenant-${sick}`)).toEqual({ version: 4 });
  });

  it('a stream parked at its first event is re-driven (the first write accepts the unparked {version: 0})', async () => {
    const tenantId = ulid();
    const records = await run(tenantId, lifecycle(tenantId).slice(0, 2));
    const target = targetOf(projectionWith(92, (type) => type === 'TENANT_CREATED'));
    const { dispatcher } = dispatcherFor(target);
    expect(await deliver(dispatcher, fromEventRecords(records))).toEqual([]);
    expect(await writer.checkpoint(target, `tenant-${tenantId}`)).toEqual({ version: 0, parkedFrom: 1 });

    const fixed = targetOf({ ...tenantsV1, version: 92 });
    const report = await redrive(
      { writer, parked, store, target: () => fixed },
      { consumer: targetName(target) },
    );
    expect(report.failed).toBeUndefined();
    expect(report.applied).toBe(2);
    expect(await rows(tenantId)).toEqual(await cleanRows(tenantId));
  });

  it('a redelivered poison event keeps its parked error and attempts (never overwritten by "waiting behind")', async () => {
    const tenantId = ulid();
    const records = fromEventRecords(await run(tenantId, lifecycle(tenantId).slice(0, 3)));
    const target = targetOf(projectionWith(93, (type) => type === 'TENANT_PARKED'));
    const { dispatcher } = dispatcherFor(target);
    expect(await deliver(dispatcher, records)).toEqual([]);
    // Lambda redelivers from an earlier failure of another stream (to a new instance: nothing cached), and the
    // parked event comes again
    const fresh = dispatcherFor(target, { writer: new DynamoProjectionWriter(client, store) });
    expect(await deliver(fresh.dispatcher, records.slice(1))).toEqual([]);
    const [first] = await parked.list({ consumer: targetName(target), streamId: `tenant-${tenantId}` });
    expect(first).toMatchObject({ version: 2, kind: 'poison', attempts: 3 });
    expect(first?.error).toContain('bug: cannot project this event');
  });

  it('re-drive reads the events again from the event store (a fixed upcaster takes effect)', async () => {
    const tenantId = ulid();
    const records = await run(tenantId, lifecycle(tenantId).slice(0, 2));
    const target = targetOf(projectionWith(94, (type) => type === 'TENANT_PARKED'));
    const { dispatcher } = dispatcherFor(target);
    expect(await deliver(dispatcher, fromEventRecords(records))).toEqual([]);
    // whatever a consumer hands to parking (here: what a buggy upcaster produced), only its id is kept
    const [saved] = await parked.list({ consumer: targetName(target), streamId: `tenant-${tenantId}` });
    if (!saved?.eventId) throw new Error('the poison event was not parked with its id');
    const misread = (await store.readStream(`tenant-${tenantId}`, 2))[0];
    if (!misread) throw new Error('no event 2');
    await parked.park({ ...saved, event: { ...misread, data: { reason: 'MISREAD' } } });

    const fixed = targetOf({ ...tenantsV1, version: 94 });
    await redrive({ writer, parked, store, target: () => fixed }, { consumer: targetName(target) });
    const metadataRow = (await rows(tenantId)).find((r) => r.SK === 'METADATA');
    expect(metadataRow).toMatchObject({ status: 'PARKED', parkedReason: 'unpaid' });
  });
});

describe('transient failures (throttling, 5xx) in the projection dispatcher', () => {
  it('are retried while the record is young, parked with the whole event past the age bound, and caught up by the next event', async () => {
    const tenantId = ulid();
    const records = fromEventRecords(await run(tenantId, lifecycle(tenantId)));
    let down = true;
    const throttled: ProjectionWriter = {
      apply: (target, event) => {
        if (down) {
          const error = Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
          return Promise.reject(error);
        }
        return writer.apply(target, event);
      },
      checkpoint: (target, streamId) => writer.checkpoint(target, streamId),
      unpark: (target, streamId) => writer.unpark(target, streamId),
    };
    let now = Date.now();
    const target = targetOf({ ...tenantsV1, version: 95 });
    const { dispatcher, metrics } = dispatcherFor(target, { writer: throttled, now: () => now });
    const [first, second, ...rest] = records.map((r) => ({ ...r, arrivedAt: now })) as ConsumedRecord[];
    const outage = [first, second] as ConsumedRecord[];
    // young: retried by Lambda (reported), nothing parked, however often it fails
    for (let i = 0; i < 5; i++) expect(await dispatcher.handle(outage)).toBe(first?.sequenceNumber);
    expect(await parked.list({ consumer: targetName(target) })).toEqual([]);
    expect(
      metrics.points.some((p) => p.name === 'ConsumerFailures' && p.dimensions.kind === 'transient'),
    ).toBe(true);

    now += HOUR; // the outage lasts past the bound: both records are parked (by reference), no stream mark
    expect(await dispatcher.handle(outage)).toBeUndefined();
    const list = await parked.list({ consumer: targetName(target) });
    expect(list.map((p) => [p.version, p.kind, p.type])).toEqual([
      [1, 'transient', 'TENANT_CREATED'],
      [2, 'transient', 'TENANT_PARKED'],
    ]);
    expect(metrics.total('ParkedEvents')).toBe(2);

    down = false; // the table answers again: the stream's next event catches up the parked ones from the store
    expect(await deliver(dispatcher, rest)).toEqual([]);
    expect(await rows(tenantId)).toEqual(await cleanRows(tenantId));
    // and the re-drive clears what is applied already
    await redrive({ writer, parked, store, target: () => target }, { consumer: targetName(target) });
    expect(await parked.list({ consumer: targetName(target) })).toEqual([]);
  });
});
