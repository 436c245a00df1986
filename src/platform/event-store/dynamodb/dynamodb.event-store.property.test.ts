import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { withTransientRetry } from '#src/platform/command/retry.js';
import { ConcurrencyError, UniquenessError } from '#src/platform/event-store/errors.js';
import type { AppendResult, ExpectedVersion } from '#src/platform/event-store/event-store.port.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { newStreamId, tenantUpdated } from '#test/fixtures.js';
import { DynamoEventStore } from './dynamodb.event-store.js';

const client = testDocumentClient();
const table = testTable('EventStoreTable');
// Two store instances over one table: tokens of one are worthless to the other, as across Lambda instances.
const stores = [
  new DynamoEventStore(client, table, catalogue),
  new DynamoEventStore(client, table, catalogue),
];

// 'loaded': the caller loads first and appends with the store's token, as the command runner does.
const expectedArb: fc.Arbitrary<ExpectedVersion | 'loaded'> = fc.oneof(
  fc.nat({ max: 14 }),
  fc.constantFrom<ExpectedVersion | 'loaded'>('any', 'exists', 'no_stream', 'loaded', 'loaded'),
);
const callerArb = fc.record({ expected: expectedArb, size: fc.integer({ min: 1, max: 4 }) });

describe('DynamoDB event store under real concurrency', () => {
  it('never leaves a gap, overwrites or loses an accepted event, whatever expected versions callers pass', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.array(callerArb, { minLength: 2, maxLength: 14 }),
        fc.constantFrom(0, 1),
        async (prefill, callers, storeIndex) => {
          const store = stores[storeIndex] as DynamoEventStore;
          const stream = newStreamId();
          if (prefill > 0)
            await store.append(
              stream,
              'no_stream',
              Array.from({ length: prefill }, () => tenantUpdated()),
            );
          const batches = callers.map((caller) => ({
            ...caller,
            events: Array.from({ length: caller.size }, () => tenantUpdated()),
          }));
          const settled = await Promise.allSettled(
            batches.map(async (b) => {
              if (b.expected !== 'loaded') return store.append(stream, b.expected, b.events);
              const loaded = await store.load(stream);
              return store.append(stream, loaded.version, b.events, { token: loaded.token });
            }),
          );
          const stored = await store.readStream(stream);
          // gap-free and never overwritten: versions are exactly 1..n, each eventId once
          expect(stored.map((e) => e.version)).toEqual(stored.map((_, i) => i + 1));
          expect(new Set(stored.map((e) => e.eventId)).size).toBe(stored.length);
          const byId = new Map(stored.map((e) => [e.eventId, e.version]));
          let accepted = prefill;
          settled.forEach((outcome, i) => {
            const batch = batches[i] as (typeof batches)[number];
            if (outcome.status === 'fulfilled') {
              const result = outcome.value as AppendResult;
              accepted += batch.events.length;
              // every accepted event is stored, at the versions the append reported, in order
              batch.events.forEach((event, k) => {
                expect(byId.get(event.eventId)).toBe(result.version - batch.events.length + k + 1);
              });
            } else {
              expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
              for (const event of batch.events) expect(byId.has(event.eventId)).toBe(false);
            }
          });
          expect(stored.length).toBe(accepted);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lets exactly one of up to 20 concurrent appends holding the same reservation succeed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 20 }), async (n) => {
        const store = stores[0] as DynamoEventStore;
        const key = `org:${ulid()}`;
        const streams = Array.from({ length: n }, () => newStreamId());
        const settled = await Promise.allSettled(
          streams.map((stream) =>
            withTransientRetry(() =>
              store.append(stream, 'no_stream', [tenantUpdated()], { reservations: { claim: [key] } }),
            ),
          ),
        );
        const winners = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [streams[i]] : []));
        expect(winners).toHaveLength(1);
        for (const s of settled)
          if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(UniquenessError);
        expect(await store.reservationHolder(key)).toBe(winners[0]);
        const written = await Promise.all(streams.map((stream) => store.readStream(stream)));
        expect(written.filter((events) => events.length > 0)).toHaveLength(1);
      }),
      { numRuns: 12 },
    );
  });

  it('appends once for any number of concurrent idempotent retries, and all get the first result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 12 }), fc.constantFrom(0, 1), async (n, storeIndex) => {
        const store = stores[storeIndex] as DynamoEventStore;
        const stream = newStreamId();
        await store.append(stream, 'no_stream', [tenantUpdated()]);
        const key = ulid();
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            withTransientRetry(() =>
              store.append(stream, 'any', [tenantUpdated()], {
                idempotency: { scope: 'caller', key, requestHash: 'same', result: { attempt: i } },
              }),
            ),
          ),
        );
        const first = results.filter((r) => r.replayed === undefined);
        expect(first).toHaveLength(1);
        const winner = results.indexOf(first[0] as AppendResult);
        for (const r of results) if (r.replayed) expect(r.replayed.result).toEqual({ attempt: winner });
        expect((await store.readStream(stream)).length).toBe(2);
      }),
      { numRuns: 12 },
    );
  });
});
