import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { personal } from '#src/platform/domain/personal-data.js';
import { metadata, newStreamId, tenantCreated, tenantUpdated } from '#test/fixtures.js';
import { EventCatalogue } from './catalogue.js';
import {
  ConcurrencyError,
  EventTooLargeError,
  IdempotencyKeyReuseError,
  InvalidEventError,
  UniquenessError,
} from './errors.js';
import { conditionsContract } from './event-store.conditions.contract.js';
import type { EventEnvelope, EventStore, NewEvent } from './event-store.port.js';

export interface ContractHarness {
  /**
   * A store over this harness's storage; stores from one harness share their data. Its catalogue is the system's
   * unless another is given (the test running the contract gives it: the platform knows no context).
   */
  store(options?: { catalogue?: EventCatalogue; now?: () => Date }): EventStore;
}

const updates = (n: number): NewEvent[] =>
  Array.from({ length: n }, (_, i) => tenantUpdated(`u${i}@example.com`));
const versions = (events: EventEnvelope[]) => events.map((event) => event.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function collectAll(store: EventStore, streams: Set<string>): Promise<Map<string, number[]>> {
  const seen = new Map<string, number[]>();
  for await (const batch of store.readAll({ segments: 3, categories: ['tenant'] })) {
    for (const event of batch.events) {
      if (!streams.has(event.streamId)) continue;
      seen.set(event.streamId, [...(seen.get(event.streamId) ?? []), event.version]);
    }
  }
  return seen;
}

/** The behaviour every EventStore adapter must have; run against DynamoDB Local and in memory. */
export function eventStoreContract(name: string, makeHarness: () => ContractHarness): void {
  describe(`${name}: event store contract`, () => {
    it('appends to a new stream and reads the events back in order with envelopes intact', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      const created = tenantCreated(stream.slice(7));
      const result = await store.append(stream, 'no_stream', [created, tenantUpdated()]);
      expect(result.version).toBe(2);
      const events = await store.readStream(stream);
      expect(versions(events)).toEqual([1, 2]);
      expect(events[0]).toMatchObject({
        eventId: created.eventId,
        streamId: stream,
        type: 'TENANT_CREATED',
        schemaVersion: 2,
        occurredAt: created.occurredAt,
        data: created.data,
        metadata: created.metadata,
      });
    });

    it('treats expected 0 as no_stream and refuses no_stream on an existing stream', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      await store.append(stream, 0, updates(1));
      await expect(store.append(stream, 'no_stream', updates(1))).rejects.toMatchObject({
        name: 'ConcurrencyError',
        streamId: stream,
        expected: 'no_stream',
        actual: 1,
      });
    });

    it('refuses no_stream on an existing stream it never read, writing nothing of the append', async () => {
      const harness = makeHarness();
      const store = harness.store();
      const stream = newStreamId();
      // written by another store instance: this one holds no token of the stream
      await harness.store().append(stream, 'no_stream', updates(2));
      const key = `org:${ulid()}`;
      const idem = { scope: 'user-1', key: ulid(), requestHash: 'h', result: 'r' };
      await expect(
        store.append(stream, 'no_stream', updates(1), { reservations: { claim: [key] }, idempotency: idem }),
      ).rejects.toMatchObject({ name: 'ConcurrencyError', expected: 'no_stream', actual: 2 });
      expect(versions(await store.readStream(stream))).toEqual([1, 2]);
      expect(await store.reservationHolder(key)).toBeUndefined();
      expect(await store.findIdempotent('user-1', idem.key, 'h')).toBeUndefined();
    });

    it('refuses a fabricated expected version ahead of the stream, never writing a gap', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      await store.append(stream, 'no_stream', updates(5));
      const error = await store.append(stream, 7, updates(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ streamId: stream, expected: 7, actual: 5 });
      expect(versions(await store.readStream(stream))).toEqual(range(1, 5));
    });

    it('refuses a stale expected version and an expected version on a missing stream', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      await store.append(stream, 'no_stream', updates(3));
      await expect(store.append(stream, 2, updates(1))).rejects.toMatchObject({ expected: 2, actual: 3 });
      await expect(store.append(newStreamId(), 4, updates(1))).rejects.toMatchObject({ actual: 0 });
      await expect(store.append(newStreamId(), 'exists', updates(1))).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
    });

    it('appends with any and exists at the head', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      expect((await store.append(stream, 'any', updates(2))).version).toBe(2);
      expect((await store.append(stream, 'exists', updates(3))).version).toBe(5);
      expect((await store.append(stream, 'any', updates(1))).version).toBe(6);
      expect(versions(await store.readStream(stream))).toEqual(range(1, 6));
    });

    it('keeps a long stream gap-free across many appends and reads from any version', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      let version = 0;
      while (version < 260) {
        const batch = updates(1 + (version % 7));
        version = (await store.append(stream, version, batch)).version;
      }
      expect(versions(await store.readStream(stream))).toEqual(range(1, version));
      expect(versions(await store.readStream(stream, 150))).toEqual(range(150, version));
      expect(await store.readStream(stream, version + 1)).toEqual([]);
    });

    it('lets exactly one of two concurrent appends at one version win, idempotency keys or not', async () => {
      const store = makeHarness().store();
      for (const keyed of [false, true]) {
        const stream = newStreamId();
        const settled = await Promise.allSettled(
          ['h1', 'h2'].map((requestHash) =>
            store.append(stream, 'no_stream', updates(2), {
              ...(keyed
                ? { idempotency: { scope: 'c', key: ulid(), requestHash, result: requestHash } }
                : {}),
            }),
          ),
        );
        expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
        expect(versions(await store.readStream(stream))).toEqual([1, 2]);
      }
    });

    it('takes a reservation atomically with the events and releases it with a later event', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const key = `org:${ulid()}`;
      await store.append(a, 'no_stream', updates(1), { reservations: { claim: [key] } });
      expect(await store.reservationHolder(key)).toBe(a);
      const error = await store
        .append(b, 'no_stream', updates(1), { reservations: { claim: [key] } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UniquenessError);
      expect(error).toMatchObject({ key, heldBy: a });
      expect(await store.readStream(b)).toEqual([]);
      await store.append(a, 1, updates(1), { reservations: { release: [key] } });
      expect(await store.reservationHolder(key)).toBeUndefined();
      await store.append(b, 'no_stream', updates(1), { reservations: { claim: [key] } });
      expect(await store.reservationHolder(key)).toBe(b);
    });

    it('lets the holder claim its own reservation again', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      const key = `org:${ulid()}`;
      await store.append(stream, 'no_stream', updates(1), { reservations: { claim: [key] } });
      await store.append(stream, 1, updates(1), { reservations: { claim: [key] } });
      expect(await store.reservationHolder(key)).toBe(stream);
    });

    it('replays an idempotent retry without appending, and refuses the key for another request', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      const idem = { scope: 'user-1', key: ulid(), requestHash: 'h1', result: { tenantId: 't-1' } };
      await store.append(stream, 'no_stream', updates(1), { idempotency: idem });
      const retry = await store.append(stream, 'no_stream', updates(1), { idempotency: idem });
      expect(retry.replayed).toEqual({ result: { tenantId: 't-1' } });
      expect(retry.events).toEqual([]);
      expect(versions(await store.readStream(stream))).toEqual([1]);
      expect(await store.findIdempotent('user-1', idem.key, 'h1')).toEqual({ result: { tenantId: 't-1' } });
      await expect(store.findIdempotent('user-1', idem.key, 'h2')).rejects.toBeInstanceOf(
        IdempotencyKeyReuseError,
      );
      await expect(
        store.append(stream, 1, updates(1), { idempotency: { ...idem, requestHash: 'h2' } }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
      expect(versions(await store.readStream(stream))).toEqual([1]);
    });

    it('scopes idempotency keys to the caller and expires them', async () => {
      let now = new Date('2026-01-01T00:00:00Z');
      const store = makeHarness().store({ now: () => now });
      const key = ulid();
      const stream = newStreamId();
      await store.append(stream, 'no_stream', updates(1), {
        idempotency: { scope: 'tenant-a', key, requestHash: 'h', result: 'a' },
      });
      expect(await store.findIdempotent('tenant-b', key, 'h')).toBeUndefined();
      const other = await store.append(newStreamId(), 'no_stream', updates(1), {
        idempotency: { scope: 'tenant-b', key, requestHash: 'h', result: 'b' },
      });
      expect(other.replayed).toBeUndefined();
      now = new Date('2026-01-02T00:00:01Z');
      expect(await store.findIdempotent('tenant-a', key, 'h')).toBeUndefined();
      const again = await store.append(stream, 1, updates(1), {
        idempotency: { scope: 'tenant-a', key, requestHash: 'other', result: 'a2' },
      });
      expect(again.version).toBe(2);
    });

    it('loads the latest snapshot of the same decider version plus the events after it', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      await store.append(stream, 'no_stream', updates(10), {
        snapshot: { deciderVersion: 'v1', version: 10, state: { count: 10 } },
      });
      const loaded = await store.load(stream, { deciderVersion: 'v1' });
      await store.append(stream, loaded.version, updates(3), { token: loaded.token });
      const after = await store.load(stream, { deciderVersion: 'v1' });
      expect(after.snapshot).toEqual({ version: 10, state: { count: 10 } });
      expect(versions(after.events)).toEqual([11, 12, 13]);
      expect(after.version).toBe(13);
      const otherDecider = await store.load(stream, { deciderVersion: 'v2' });
      expect(otherDecider.snapshot).toBeUndefined();
      expect(versions(otherDecider.events)).toEqual(range(1, 13));
    });

    it('writes a snapshot only when the append ends at its version (an any/exists append may land later)', async () => {
      const store = makeHarness().store();
      for (const expected of ['any', 'exists'] as const) {
        const stream = newStreamId();
        await store.append(stream, 'no_stream', updates(10));
        const loaded = await store.load(stream, { deciderVersion: 'v1' });
        await store.append(stream, 10, updates(100)); // another writer gets in first
        // Computed for 10 + 2; the store replans the stale append at the new head and it ends at 112.
        const snapshot = { deciderVersion: 'v1', version: 12, state: { count: 12 } };
        const stale = await store.append(stream, expected, updates(2), { token: loaded.token, snapshot });
        expect(stale.version).toBe(112);
        const after = await store.load(stream, { deciderVersion: 'v1' });
        expect(after.snapshot).toBeUndefined();
        expect(versions(after.events)).toEqual(range(1, 112));
        const fresh = { deciderVersion: 'v1', version: 114, state: { count: 114 } };
        await store.append(stream, expected, updates(2), { token: after.token, snapshot: fresh });
        const latest = await store.load(stream, { deciderVersion: 'v1' });
        expect(latest.snapshot).toEqual({ version: 114, state: { count: 114 } });
        expect(latest.events).toEqual([]);
      }
    });

    it('keeps snapshots usable as the stream grows past many snapshots', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      let loaded = await store.load(stream, { deciderVersion: 'd' });
      for (let i = 0; i < 30; i++) {
        const version = loaded.version + 4;
        const snapshot =
          version % 10 < 4 ? { deciderVersion: 'd', version, state: { at: version } } : undefined;
        await store.append(
          stream,
          loaded.version,
          updates(4),
          snapshot ? { snapshot, token: loaded.token } : {},
        );
        loaded = await store.load(stream, { deciderVersion: 'd' });
        const from = (loaded.snapshot?.version ?? 0) + 1;
        expect(versions(loaded.events)).toEqual(range(from, loaded.version));
      }
      expect(loaded.snapshot?.version).toBe(120);
      expect(versions(await store.readStream(stream))).toEqual(range(1, 120));
    });

    it('ignores a load token from another stream or version', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      await store.append(a, 'no_stream', updates(2));
      await store.append(b, 'no_stream', updates(5));
      const tokenA = (await store.load(a)).token;
      await expect(store.append(b, 2, updates(1), { token: tokenA })).rejects.toMatchObject({ actual: 5 });
      await expect(store.append(a, 5, updates(1), { token: tokenA })).rejects.toMatchObject({ actual: 2 });
      expect(versions(await store.readStream(b))).toEqual(range(1, 5));
    });

    it('rejects an append larger than one DynamoDB item before writing anything', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      const big = { ...tenantUpdated(), data: { contactEmail: 'big@example.com' } };
      const huge = Array.from({ length: 60 }, () => ({
        ...big,
        eventId: ulid(),
        metadata: metadata({ causationId: 'x'.repeat(7000) }),
      }));
      await expect(store.append(stream, 'no_stream', huge)).rejects.toBeInstanceOf(EventTooLargeError);
      expect(await store.readStream(stream)).toEqual([]);
    });

    it('rejects events that their schema refuses, and unknown types, writing nothing', async () => {
      const store = makeHarness().store();
      const stream = newStreamId();
      const bad = { ...tenantUpdated(), data: { contactEmail: 'not-an-email' } };
      await expect(store.append(stream, 'no_stream', [bad])).rejects.toBeInstanceOf(InvalidEventError);
      await expect(store.append(stream, 'no_stream', [{ ...bad, type: 'NOPE' }])).rejects.toBeInstanceOf(
        InvalidEventError,
      );
      expect(await store.readStream(stream)).toEqual([]);
    });

    it('upcasts events written with an older schema version on read', async () => {
      const harness = makeHarness();
      // TENANT_CREATED as its first schema version wrote it (before `environment`): this suite's own copy of a
      // version that never changes, so the platform's contract needs no context's code.
      const TenantCreatedV1 = z.strictObject({
        tenantId: z.string().min(1).max(64),
        organizationName: z.string().trim().min(2).max(120),
        contactEmail: personal(z.email().max(254), { subject: 'tenantContact', identifiedBy: 'self' }),
      });
      const legacyCatalogue = new EventCatalogue([
        {
          type: 'TENANT_CREATED',
          context: 'tenant-management',
          schemas: [TenantCreatedV1],
          upcasters: [],
          description: '',
        },
      ]);
      const stream = newStreamId();
      const v1 = { tenantId: 't1', organizationName: 'Legacy Org', contactEmail: 'legacy@example.com' };
      await harness
        .store({ catalogue: legacyCatalogue })
        .append(stream, 'no_stream', [{ ...tenantCreated('t1'), data: v1 }]);
      const [event] = await harness.store().readStream(stream); // the system's catalogue, as the test gives it
      expect(event).toMatchObject({
        type: 'TENANT_CREATED',
        schemaVersion: 2,
        data: { ...v1, environment: 'prod' },
      });
      expect(z.object({ environment: z.literal('prod') }).safeParse(event?.data).success).toBe(true);
    });

    it('reads only the asked categories through readAll', async () => {
      const store = makeHarness().store();
      const other = newStreamId('archived');
      await store.append(other, 'no_stream', updates(2));
      for await (const batch of store.readAll({ categories: ['tenant'] })) {
        expect(batch.events.some((event) => event.streamId === other)).toBe(false);
      }
      const seen: string[] = [];
      for await (const batch of store.readAll({ categories: ['archived'] }))
        seen.push(...batch.events.map((e) => e.streamId));
      expect(seen.filter((id) => id === other)).toHaveLength(2);
    });

    it('resumes readAll after a stream, and reads only what was appended since a time', async () => {
      let now = new Date('2026-01-01T00:00:00Z');
      const store = makeHarness().store({ now: () => now });
      const [a, b] = [newStreamId('resume'), newStreamId('resume')];
      await store.append(a, 'no_stream', updates(2));
      await store.append(b, 'no_stream', updates(2));
      now = new Date('2026-01-01T00:10:00Z');
      await store.append(a, 2, updates(1));
      const since: string[] = [];
      for await (const batch of store.readAll({ categories: ['resume'], appendedSince: now })) {
        since.push(
          ...batch.events
            .filter((e) => e.streamId === a || e.streamId === b)
            .map((e) => `${e.streamId}@${e.version}`),
        );
      }
      expect(since).toEqual([`${a}@3`]);
      const first: string[] = [];
      for await (const batch of store.readAll({ categories: ['resume'], segments: 1 }))
        first.push(...batch.events.map((e) => e.streamId));
      const firstStream = first[0] as string;
      const rest: string[] = [];
      for await (const batch of store.readAll({
        categories: ['resume'],
        segments: 1,
        resumeAfter: { 0: firstStream },
      })) {
        rest.push(...batch.events.map((e) => e.streamId));
      }
      expect(rest).not.toContain(firstStream);
      expect(rest.length).toBe(first.filter((id) => id !== firstStream).length);
    });

    it('reads every stream back through readAll, each in version order', async () => {
      const store = makeHarness().store();
      const streams = new Set([newStreamId(), newStreamId(), newStreamId()]);
      let n = 40;
      for (const stream of streams) {
        let version = 0;
        while (version < n)
          version = (await store.append(stream, version, updates(Math.min(9, n - version)))).version;
        n += 85;
      }
      const seen = await collectAll(store, streams);
      expect([...seen.values()].map((v) => v.length).sort((x, y) => x - y)).toEqual([40, 125, 210]);
      for (const found of seen.values()) expect(found).toEqual(range(1, found.length));
    });

    conditionsContract(makeHarness);
  });
}
