import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantPK, tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import type { cliWiring } from '#src/platform/cli/cli-wiring.js';
import { discardParked, redriveParked } from '#src/platform/cli/parked.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { applyChanges, type Projection, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import type { BusEntry } from '#src/platform/publishing/integration-events.js';
import { PUBLISHER } from '#src/platform/publishing/record-publisher.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import type { ConsumedRecord } from './consumed-records.js';
import { fromEventRecords, ProjectionDispatcher } from './dispatcher.js';
import { DynamoParkedEvents } from './dynamodb.parked-events.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { RecordingMetrics } from './metrics.js';
import {
  type ParkedEvents,
  type ProjectionTarget,
  type ProjectionWriter,
  StreamParkedError,
  targetName,
} from './ports.js';
import { reapplyWindow } from './recover.js';
import { redrive } from './redrive.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const parked = new DynamoParkedEvents(client, testTable('ParkedEventsTable'));
const HOUR = 3_600_000;

async function run(tenantId: string, commands: TenantCommand[], first = 1): Promise<EventRecord[]> {
  const records: EventRecord[] = [];
  for (const command of commands) {
    const outcome = await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    records.push({
      sequenceNumber: String(first + records.length).padStart(21, '0'),
      events: outcome.events,
    });
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

function dispatcherFor(target: ProjectionTarget, options: { writer?: ProjectionWriter } = {}) {
  const metrics = new RecordingMetrics();
  const dispatcher = new ProjectionDispatcher({
    writer: options.writer ?? new DynamoProjectionWriter(client, store),
    parked,
    targets: async () => [target],
    metrics,
    clock: () => new Date(),
    policy: { maxAttempts: 3, parkAfterMs: HOUR },
  });
  return { dispatcher, metrics };
}

async function deliver(dispatcher: ProjectionDispatcher, records: ConsumedRecord[], max = 20) {
  let pending = records;
  for (let i = 0; pending.length > 0 && i < max; i++) {
    const failed = await dispatcher.handle(pending);
    pending =
      failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequenceNumber === failed));
  }
  return pending;
}

const normalise = (list: Row[]) =>
  JSON.parse(JSON.stringify(list.sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`))));

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

const described = async (consumer: string, streamId: string) =>
  (await parked.list({ consumer, streamId })).map(
    (p) => `${p.version} ${p.kind} attempts ${p.attempts}: ${p.error.split('\n')[0]}`,
  );

describe('re-drive next to the live dispatcher', () => {
  it('applies what the live dispatcher parked behind the stream while the re-drive ran, and leaves nothing parked', async () => {
    const tenantId = ulid();
    const streamId = `tenant-${tenantId}`;
    const records = await run(tenantId, lifecycle(tenantId));
    const sick = targetOf(projectionWith(71, (type) => type === 'TENANT_PARKED'));
    expect(await deliver(dispatcherFor(sick).dispatcher, fromEventRecords(records))).toEqual([]);
    expect((await parked.list({ consumer: targetName(sick), streamId })).map((p) => p.kind)).toEqual([
      'poison',
      'waiting',
      'waiting',
    ]);

    // the fix is deployed; v5 is appended and the live dispatcher gets it after the re-drive listed the parked
    // events but before it unparked the stream: v5 parks behind
    const fixed = targetOf(projectionWith(71, () => false));
    const [v5] = await run(tenantId, [{ type: 'AssignUser', userId: 'u2', role: 'TenantMember' }], 5);
    const live = dispatcherFor(fixed).dispatcher;
    let raced = false;
    const racing: ParkedEvents = {
      recordFailure: (c, r, k) => parked.recordFailure(c, r, k),
      park: (p, o) => parked.park(p, o),
      remove: (p) => parked.remove(p),
      list: async (filter) => {
        const listed = await parked.list(filter);
        if (raced) return listed;
        raced = true;
        expect(await deliver(live, fromEventRecords([v5 as EventRecord]))).toEqual([]);
        return listed;
      },
    };
    const report = await redrive(
      { writer, parked: racing, store, target: () => fixed },
      { consumer: targetName(fixed) },
    );
    expect({
      failures: report.failures,
      remaining: report.remaining,
      left: await described(targetName(fixed), streamId),
      checkpoint: await writer.checkpoint(fixed, streamId),
    }).toEqual({ failures: [], remaining: 0, left: [], checkpoint: { version: 5 } });
    expect(await rows(tenantId)).toEqual(await cleanRows(tenantId));
  });

  it('the live dispatcher parks an event behind a stream only while it is marked: once unparked, it is applied', async () => {
    const tenantId = ulid();
    const streamId = `tenant-${tenantId}`;
    const records = await run(tenantId, lifecycle(tenantId).slice(0, 2));
    const sick = targetOf(projectionWith(72, (type) => type === 'TENANT_PARKED'));
    expect(await deliver(dispatcherFor(sick).dispatcher, fromEventRecords(records))).toEqual([]);
    const fixed = targetOf(projectionWith(72, () => false));
    const [v3] = await run(tenantId, [{ type: 'AssignUser', userId: 'u1', role: 'TenantAdmin' }], 3);
    // the live writer read the mark, then a re-drive unparked the stream before the dispatcher parked v3
    let unparkedFirst = false;
    const late: ProjectionWriter = {
      apply: async (target, event) => {
        if (unparkedFirst) return writer.apply(target, event);
        unparkedFirst = true;
        await writer.unpark(target, streamId);
        throw new StreamParkedError(streamId, 2);
      },
      checkpoint: (target, s) => writer.checkpoint(target, s),
      unpark: (target, s) => writer.unpark(target, s),
    };
    const { dispatcher } = dispatcherFor(fixed, { writer: late });
    const pending = fromEventRecords([v3 as EventRecord]);
    // retried (reported), never parked behind a stream that is no longer parked
    expect(await dispatcher.handle(pending)).toBe(v3?.sequenceNumber);
    expect((await described(targetName(fixed), streamId)).map((l) => l.split(' ')[0])).toEqual(['2']);
    // the redelivery applies it (catching v2 up first)
    expect(await dispatcher.handle(pending)).toBeUndefined();
    expect(await writer.checkpoint(fixed, streamId)).toEqual({ version: 3 });
  });
});

/** The CLI's wiring, on this suite's tables, with a recording bus and a registry whose active tenants is v1. */
function cli(published: BusEntry[]) {
  return {
    store,
    writer,
    parked,
    registry: {
      entry: async (name: string) => ({ name, active: 1, retained: [] }),
      target: (name: string, version: number) => {
        if (name !== 'tenants' || version > 2) throw new RangeError(`no projection ${name} v${version}`);
        return targetOf({ ...tenantsV1, version });
      },
    },
    republishDeps: {
      store,
      parked,
      bus: {
        putEvents: async (entries: BusEntry[]) => {
          published.push(...entries);
          return entries.map(() => ({}));
        },
      },
      busName: 'bbws-events-test',
      catalogue,
      retry: { attempts: 1, baseDelayMs: 1, sleep: async () => {}, random: () => 0 },
      maxRequestBytes: 256 * 1024,
    },
  } as unknown as ReturnType<typeof cliWiring>;
}

describe('parked redrive / discard (the CLI) with a projection version that no longer exists', () => {
  it('reports the gone version as failed (exit 1) and still re-publishes the publisher', async () => {
    const tenantId = ulid();
    const streamId = `tenant-${tenantId}`;
    const [created] = await run(tenantId, lifecycle(tenantId).slice(0, 1));
    const event = created?.events[0];
    if (!event) throw new Error('no event');
    // tenants v9 parked an event and was later dropped and removed from the code; the publisher parked one in
    // an EventBridge outage
    const common = { streamId, version: 1, type: event.type, event };
    await parked.park({
      ...common,
      consumer: 'tenants.v9',
      error: 'TypeError: bug',
      attempts: 3,
      kind: 'poison',
    });
    await parked.park({
      ...common,
      consumer: PUBLISHER,
      error: 'Throttled',
      attempts: 40,
      kind: 'transient',
    });
    const published: BusEntry[] = [];
    const w = cli(published);
    // the projections' re-drive reports it and goes on (it does not throw)
    const report = await redrive(
      { writer, parked, store, target: (c) => w.registry.target('tenants', Number(c.split('.v')[1])) },
      { streamId },
    );
    expect(report.failures.map((f) => [f.consumer, f.version, f.error.split(':')[0]])).toEqual([
      ['tenants.v9', 1, 'RangeError'],
    ]);
    expect(report.remaining).toBe(1);
    expect(await redriveParked(w, { streamId })).toBe(1);
    expect(published.map((e) => JSON.parse(e.Detail).eventId)).toEqual([event.eventId]);
    expect(await parked.list({ consumer: PUBLISHER, streamId })).toEqual([]);
    expect((await parked.list({ streamId })).map((p) => p.consumer)).toEqual(['tenants.v9']);

    // the documented way out: discard the dropped version's records, after confirming
    const asked: string[] = [];
    const no = async (question: string) => {
      asked.push(question);
      return 'no';
    };
    expect(
      await discardParked(w, { consumer: 'tenants.v9', streamId }, { yes: false, confirm: no }, ''),
    ).toBe(1);
    expect(asked).toHaveLength(1);
    expect(await parked.list({ streamId })).toHaveLength(1);
    const yes = async () => 'discard';
    expect(
      await discardParked(w, { consumer: 'tenants.v9', streamId }, { yes: false, confirm: yes }, ''),
    ).toBe(0);
    expect(await parked.list({ streamId })).toEqual([]);
    expect(await redriveParked(w, { streamId })).toBe(0);
  });

  it('refuses to discard the parked events of the active version or the publisher', async () => {
    const w = cli([]);
    await expect(discardParked(w, { consumer: 'tenants.v1' }, { yes: true }, '')).rejects.toThrow(
      /the active version/,
    );
    await expect(discardParked(w, { consumer: PUBLISHER }, { yes: true }, '')).rejects.toThrow(
      /one projection version/,
    );
  });

  it('exits 1 while a re-driven event still fails (it stays parked)', async () => {
    const tenantId = ulid();
    const streamId = `tenant-${tenantId}`;
    const records = await run(tenantId, lifecycle(tenantId).slice(0, 2));
    // tenants.v2 in cli(): the real tenants projection; make v2 park poison first with a sick copy
    const sick = targetOf(projectionWith(2, (type) => type === 'TENANT_PARKED'));
    expect(await deliver(dispatcherFor(sick).dispatcher, fromEventRecords(records))).toEqual([]);
    const w = cli([]);
    (w.registry as unknown as { target: () => ProjectionTarget }).target = () => sick; // the bug is not fixed
    expect(await redriveParked(w, { consumer: 'tenants.v2', streamId })).toBe(1);
    expect((await described('tenants.v2', streamId)).map((l) => l.split(':')[0])).toEqual([
      '2 poison attempts 4',
    ]);
    for (const p of await parked.list({ consumer: 'tenants.v2', streamId })) await parked.remove(p);
  });
});

describe('bbws recover (re-apply a window) over a stream parked for a projection', () => {
  it("keeps the parked poison event's error and attempts, and the waiting events waiting", async () => {
    const since = new Date(Date.now() - 1000);
    const tenantId = ulid();
    const streamId = `tenant-${tenantId}`;
    const records = await run(tenantId, lifecycle(tenantId));
    const poison = records[1]?.events[0]?.eventId;
    const target = targetOf(projectionWith(73, (_type, id) => id === poison));
    expect(await deliver(dispatcherFor(target).dispatcher, fromEventRecords(records))).toEqual([]);
    const before = await described(targetName(target), streamId);
    expect(before).toEqual([
      '2 poison attempts 3: TypeError: bug: cannot project this event',
      `3 waiting attempts 0: waiting behind ${streamId}@2`,
      `4 waiting attempts 0: waiting behind ${streamId}@2`,
    ]);
    const report = await reapplyWindow(
      { store, writer, parked, targets: async () => [target] },
      { since, until: new Date() },
    );
    expect(report.parked).toBeGreaterThanOrEqual(3);
    expect(await described(targetName(target), streamId)).toEqual(before);
  });
});
