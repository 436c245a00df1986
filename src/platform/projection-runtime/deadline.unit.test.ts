import { describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { tenantCreated } from '#test/fixtures.js';
import { type ConsumedRecord, deadlineOf, settledBy } from './consumed-records.js';
import { ProjectionDispatcher } from './dispatcher.js';
import { InMemoryParkedEvents } from './in-memory.parked-events.js';
import { RecordingMetrics } from './metrics.js';
import type { ProjectionWriter } from './ports.js';

const HOUR = 3_600_000;

const record = (i: number, arrivedAt: number): ConsumedRecord => {
  const event: EventEnvelope = {
    ...tenantCreated(`t${i}`),
    streamId: `tenant-t${i}`,
    version: 1,
    schemaVersion: 2,
  };
  return { sequenceNumber: String(i).padStart(5, '0'), arrivedAt, events: [{ event }] };
};

/** Applies the events of every stream but `hangs`, whose writes never answer (a table that does not answer). */
function writerHangingOn(hangs: ReadonlySet<string>) {
  const applied: string[] = [];
  const writer: ProjectionWriter = {
    apply: (_target, event) => {
      if (hangs.has(event.streamId)) return new Promise(() => {});
      applied.push(event.streamId);
      return Promise.resolve('applied');
    },
    checkpoint: async () => ({ version: 0 }),
    unpark: async () => {},
  };
  return { writer, applied };
}

function dispatcher(writer: ProjectionWriter, now: number) {
  const parked = new InMemoryParkedEvents();
  const metrics = new RecordingMetrics();
  const d = new ProjectionDispatcher({
    writer,
    parked,
    targets: async () => [{ projection: tenantsV1, tableName: 'bbws-tenants-test' }],
    metrics,
    clock: () => new Date(now),
    policy: { maxAttempts: 3, parkAfterMs: HOUR },
    concurrency: 4,
  });
  return { d, parked, metrics };
}

const processed = (metrics: RecordingMetrics) => metrics.points.filter((p) => p.name === 'RecordsProcessed');

describe('deadlineOf', () => {
  it('keeps a quarter of the time left for parking and answering, at most 12 s and at least 200 ms', () => {
    expect(deadlineOf(60_000, 0)).toEqual({ stopAt: 48_000, returnBy: 58_000 });
    expect(deadlineOf(900_000, 0)).toEqual({ stopAt: 888_000, returnBy: 898_000 });
    expect(deadlineOf(400, 0)).toEqual({ stopAt: 200, returnBy: 350 });
  });

  it('answers before it runs out, and stops working before it answers', () => {
    for (const remaining of [300, 1_000, 5_000, 30_000, 120_000, 900_000]) {
      const { stopAt, returnBy } = deadlineOf(remaining, 1_000);
      expect(stopAt).toBeLessThan(returnBy);
      expect(returnBy).toBeLessThan(1_000 + remaining);
    }
  });
});

describe('settledBy', () => {
  it('is true when the work settles first, rejected work included', async () => {
    expect(await settledBy(Promise.resolve(1), Date.now() + 1_000)).toBe(true);
    const failed = Promise.reject(new Error('boom'));
    await expect(settledBy(failed, Date.now() + 1_000)).rejects.toThrow('boom');
  });

  it('is false once the time comes first, and does not wait for the work', async () => {
    const started = Date.now();
    expect(await settledBy(new Promise(() => {}), started + 30)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('projection dispatcher at its deadline', () => {
  it('reports the young events of a stream that does not answer and parks nothing (they come again)', async () => {
    const now = Date.now();
    const { writer } = writerHangingOn(new Set(['tenant-t1']));
    const { d, parked, metrics } = dispatcher(writer, now);
    const first = await d.handle([record(1, now - 1_000)], {
      deadline: { stopAt: now + 50, returnBy: now + 200 },
    });
    expect(first).toBe('00001');
    expect(await parked.list()).toEqual([]);
    expect(processed(metrics)).toEqual([]); // a batch cut short is not counted as processed
  });

  it('parks the events past the age bound of a stream that does not answer and reports nothing', async () => {
    const now = Date.now();
    const { writer } = writerHangingOn(new Set(['tenant-t1']));
    const { d, parked, metrics } = dispatcher(writer, now);
    const first = await d.handle([record(1, now - 2 * HOUR)], {
      deadline: { stopAt: now + 50, returnBy: now + 500 },
    });
    expect(first).toBeUndefined();
    const [one, ...others] = await parked.list();
    expect(others).toEqual([]);
    expect(one).toMatchObject({ streamId: 'tenant-t1', version: 1, kind: 'transient', attempts: 0 });
    expect(one?.error).toContain('deadline');
    expect(metrics.points.filter((p) => p.name === 'ParkedEvents')).toHaveLength(1);
  });

  it('in a batch of several streams, reports only the stream left unfinished', async () => {
    const now = Date.now();
    const { writer, applied } = writerHangingOn(new Set(['tenant-t3']));
    const { d, parked } = dispatcher(writer, now);
    const records = [1, 2, 3, 4, 5].map((i) => record(i, now - 1_000));
    const first = await d.handle(records, { deadline: { stopAt: now + 100, returnBy: now + 300 } });
    expect(first).toBe('00003');
    expect(applied.sort()).toEqual(['tenant-t1', 'tenant-t2', 'tenant-t4', 'tenant-t5']);
    expect(await parked.list()).toEqual([]);
  });

  it('without a deadline waits for the work and counts the batch as processed', async () => {
    const now = Date.now();
    const { writer, applied } = writerHangingOn(new Set());
    const { d, metrics } = dispatcher(writer, now);
    expect(await d.handle([record(1, now), record(2, now)])).toBeUndefined();
    expect(applied).toEqual(['tenant-t1', 'tenant-t2']);
    expect(processed(metrics)).toEqual([
      { name: 'RecordsProcessed', value: 2, dimensions: { consumer: 'projectionDispatcher' } },
    ]);
  });
});
