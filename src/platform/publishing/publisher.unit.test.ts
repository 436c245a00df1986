import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogue } from '#src/contexts/catalogue.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { validatePutEvents } from '#src/platform/local/eventbridge-server.js';
import type { ConsumedRecord } from '#src/platform/projection-runtime/consumed-records.js';
import { FailureHandler } from '#src/platform/projection-runtime/failure-handler.js';
import { InMemoryParkedEvents } from '#src/platform/projection-runtime/in-memory.parked-events.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { metadata, tenantCreated } from '#test/fixtures.js';
import { DEFAULT_MAX_REQUEST_BYTES, entrySize, requests } from './entry-size.js';
import { type BusEntry, toBusEntry } from './integration-events.js';
import { type EventBus, publish } from './publisher.js';
import { PUBLISHER, RecordPublisher } from './record-publisher.js';
import { redrivePublisher } from './republish.js';

const noWait = { attempts: 5, baseDelayMs: 1, sleep: async () => {}, random: () => 0 };
const HOUR = 3_600_000;

const envelope = (i: number): EventEnvelope => {
  const e = tenantCreated(`t${i}`);
  return { ...e, streamId: `tenant-t${i}`, version: 1, schemaVersion: 2 };
};

/**
 * A bus with EventBridge's rules: a request over 10 entries or 256 KB is refused whole (ValidationException,
 * checked by the local EventBridge server's own implementation of AWS's size rule); `refuse` fails entries.
 */
function awsLikeBus(refuse: (entry: BusEntry, call: number) => string | undefined = () => undefined) {
  const accepted: string[] = [];
  const details: { eventId: string; data: unknown }[] = [];
  const calls: number[] = [];
  const bus: EventBus = {
    async putEvents(entries) {
      calls.push(entries.length);
      const invalid = validatePutEvents(
        entries.map((e) => ({ ...e, Time: e.Time?.toISOString() })),
        DEFAULT_MAX_REQUEST_BYTES,
      );
      if (invalid) throw Object.assign(new Error(invalid), { name: 'ValidationException' });
      return entries.map((entry) => {
        const errorCode = refuse(entry, calls.length);
        if (errorCode) return { errorCode, errorMessage: 'refused' };
        accepted.push(JSON.parse(entry.Detail).eventId);
        details.push(JSON.parse(entry.Detail));
        return {};
      });
    },
  };
  return { bus, accepted, details, calls };
}

describe('integration events', () => {
  it('maps an event to the versioned integration contract', () => {
    const entry = toBusEntry(catalogue, 'bbws-events-test', envelope(1));
    expect(entry).toMatchObject({
      Source: 'bbws.tenant-management',
      DetailType: 'TENANT_CREATED',
      EventBusName: 'bbws-events-test',
    });
    expect(JSON.parse(entry.Detail)).toMatchObject({
      specVersion: '1',
      streamId: 'tenant-t1',
      version: 1,
      tenantId: 't1',
    });
  });

  it('counts an entry as EventBridge does: Time 14 bytes, UTF-8 bytes of the rest, EventBusName not at all', () => {
    const entry = {
      Source: 'bbws.x',
      DetailType: 'É',
      Detail: '{"a":"€"}',
      EventBusName: 'a-very-long-bus-name',
    };
    expect(entrySize(entry)).toBe(6 + 2 + 11);
    expect(entrySize({ ...entry, Time: new Date() })).toBe(6 + 2 + 11 + 14);
    expect(entrySize({ ...entry, Resources: ['arn:ü'] })).toBe(6 + 2 + 11 + 6);
  });

  it('publishes an event over the limit without its data, flagged, instead of losing it', () => {
    const big = { ...envelope(1), data: { blob: 'x'.repeat(DEFAULT_MAX_REQUEST_BYTES) } };
    const entry = toBusEntry(catalogue, 'bus', big);
    expect(JSON.parse(entry.Detail)).toMatchObject({ data: null, dataOmitted: true, eventId: big.eventId });
    expect(entrySize(entry)).toBeLessThanOrEqual(DEFAULT_MAX_REQUEST_BYTES);
  });
});

describe('publish: PutEvents limits and partial failures', () => {
  it('groups entries into requests of at most 10 entries and at most the byte limit, in order', () => {
    const entries = Array.from({ length: 25 }, (_, i) => ({
      Source: 's',
      DetailType: 't',
      Detail: 'x'.repeat(i === 3 ? 900 : 100),
    }));
    const grouped = requests(entries, 1000);
    expect(grouped.flat()).toEqual(entries);
    for (const request of grouped) {
      expect(request.length).toBeLessThanOrEqual(10);
      expect(request.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(1000);
    }
  });

  it('publishes an append the store accepts: 8 events of 41 KB (328 KB, over one PutEvents request)', async () => {
    const notes = new EventCatalogue([
      {
        type: 'NOTE_WRITTEN',
        context: 'tenant-management',
        schemas: [z.strictObject({ text: z.string() })],
        upcasters: [],
        description: 'a large event',
      },
    ]);
    const store = new InMemoryEventStore(notes);
    const streamId = `note-${ulid()}`;
    const { events } = await store.append(
      streamId,
      'no_stream',
      Array.from({ length: 8 }, () => ({
        eventId: ulid(),
        type: 'NOTE_WRITTEN',
        occurredAt: new Date().toISOString(),
        data: { text: 'x'.repeat(41 * 1024) },
        metadata: metadata(),
      })),
    );
    const { bus, accepted } = awsLikeBus();
    const parked = new InMemoryParkedEvents();
    const publisher = new RecordPublisher({
      bus,
      busName: 'bus',
      catalogue: notes,
      failures: new FailureHandler({
        parked,
        metrics: new RecordingMetrics(),
        policy: { maxAttempts: 3, parkAfterMs: HOUR },
      }),
      metrics: new RecordingMetrics(),
      clock: () => new Date(),
      retry: noWait,
      maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    });
    const record: ConsumedRecord = {
      sequenceNumber: '1',
      arrivedAt: Date.now(),
      events: events.map((event) => ({ event })),
    };
    expect(await publisher.handle([record])).toBeUndefined();
    expect(accepted.sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(await parked.list()).toEqual([]);
  });

  it('resends only the entries refused with a transient code, until every event arrives', async () => {
    const events = Array.from({ length: 23 }, (_, i) => envelope(i));
    const entries = events.map((e) => toBusEntry(catalogue, 'bus', e));
    const { bus, accepted, calls } = awsLikeBus((_entry, call) =>
      call <= 3 && Math.random() < 0.5 ? 'InternalFailure' : undefined,
    );
    expect(await publish(bus, entries, { retry: noWait })).toEqual([]);
    expect(new Set(accepted)).toEqual(new Set(events.map((e) => e.eventId)));
    expect(Math.max(...calls)).toBeLessThanOrEqual(10);
    expect(accepted).toHaveLength(events.length); // nothing accepted was sent again
  });

  it('reports a failed call for every entry not yet accepted, without trying the later requests', async () => {
    let calls = 0;
    const bus: EventBus = {
      async putEvents() {
        calls++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    };
    const entries = Array.from({ length: 15 }, (_, i) => toBusEntry(catalogue, 'bus', envelope(i)));
    const failures = await publish(bus, entries, { retry: noWait });
    expect(failures.map((f) => f.index)).toEqual(entries.map((_, i) => i));
    expect(failures.every((f) => f.transient && f.errorCode === 'ThrottlingException')).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('the publisher stream consumer', () => {
  const setup = (bus: EventBus, now: () => number) => {
    const parked = new InMemoryParkedEvents();
    const metrics = new RecordingMetrics();
    const publisher = new RecordPublisher({
      bus,
      busName: 'bus',
      catalogue,
      failures: new FailureHandler({ parked, metrics, policy: { maxAttempts: 3, parkAfterMs: HOUR } }),
      metrics,
      clock: () => new Date(now()),
      retry: noWait,
      maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    });
    return { parked, metrics, publisher };
  };
  const envelopes = new Map<number, EventEnvelope>();
  const record = (i: number, arrivedAt: number): ConsumedRecord => {
    const event = envelopes.get(i) ?? envelope(i);
    envelopes.set(i, event);
    return { sequenceNumber: String(i).padStart(5, '0'), arrivedAt, events: [{ event }] };
  };

  it('leaves a transient outage to Lambda while the record is young, and parks the whole event past the bound', async () => {
    let now = Date.now();
    let throttled = (_tenantId: string) => true;
    const { bus, accepted } = awsLikeBus((e) =>
      throttled(JSON.parse(e.Detail).tenantId) ? 'ThrottlingException' : undefined,
    );
    const { parked, metrics, publisher } = setup(bus, () => now);
    const records = [record(1, now), record(2, now)];
    for (let i = 0; i < 5; i++) expect(await publisher.handle(records)).toBe('00001');
    expect(await parked.list()).toEqual([]);
    expect(
      metrics.points.filter((p) => p.name === 'ConsumerFailures').map((p) => p.dimensions),
    ).toContainEqual({
      consumer: PUBLISHER,
      kind: 'transient',
    });

    now += HOUR; // the first two still fail past the bound: parked whole, and the next record goes out
    throttled = (tenantId) => tenantId !== 't3';
    expect(await publisher.handle([...records, record(3, now)])).toBeUndefined();
    const list = await parked.list();
    expect(list.map((p) => [p.consumer, p.streamId, p.kind, p.attempts])).toEqual([
      [PUBLISHER, 'tenant-t1', 'transient', 6],
      [PUBLISHER, 'tenant-t2', 'transient', 1],
    ]);
    expect(list.map((p) => p.eventId)).toEqual([envelopes.get(1)?.eventId, envelopes.get(2)?.eventId]);
    expect(accepted).toHaveLength(1);
    expect(metrics.total('ParkedEvents')).toBe(2);
  });

  it('parks an entry EventBridge refuses for good after PUBLISH_MAX_ATTEMPTS, without holding back later events', async () => {
    const now = Date.now();
    const { bus, accepted } = awsLikeBus((e) =>
      JSON.parse(e.Detail).tenantId === 't1' ? 'MalformedDetail' : undefined,
    );
    const { parked, publisher } = setup(bus, () => now);
    const records = [record(1, now), record(2, now)];
    let pending = records;
    for (let invocations = 0; pending.length > 0 && invocations < 10; invocations++) {
      const failed = await publisher.handle(pending);
      pending =
        failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequenceNumber === failed));
    }
    expect(pending).toEqual([]);
    const [first] = await parked.list();
    expect(first).toMatchObject({ consumer: PUBLISHER, streamId: 'tenant-t1', kind: 'poison', attempts: 3 });
    expect(first?.error).toContain('MalformedDetail');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
  });

  it('re-drives parked events by re-publishing them as the event store has them', async () => {
    const store = new InMemoryEventStore(catalogue);
    const tenantId = ulid();
    const created = tenantCreated(tenantId);
    const { events } = await store.append(`tenant-${tenantId}`, 'no_stream', [created]);
    const event = events[0] as EventEnvelope;
    const parked = new InMemoryParkedEvents();
    await parked.park({
      consumer: PUBLISHER,
      streamId: event.streamId,
      version: 1,
      type: event.type,
      event: { ...event, data: { stale: true } },
      error: 'ThrottlingException',
      attempts: 7,
      kind: 'transient',
    });
    const { bus, accepted, details } = awsLikeBus();
    const report = await redrivePublisher({
      store,
      parked,
      bus,
      busName: 'bus',
      catalogue,
      retry: noWait,
      maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    });
    expect(report).toEqual({ published: 1, failed: [] });
    expect(accepted).toEqual([event.eventId]);
    // As the store reads it, not the copy parked; personal values sealed as the publisher always sends them.
    const sent = details[0]?.data as Record<string, unknown>;
    expect(sent).not.toHaveProperty('stale');
    expect(sent).toMatchObject({
      tenantId,
      organizationName: (created.data as { organizationName: string }).organizationName,
    });
    expect(sent.contactEmail).toMatchObject({ $pd: 1 });
    expect(await parked.list()).toEqual([]);
  });
});
