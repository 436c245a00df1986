import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogue } from '#src/contexts/catalogue.js';
import { withTransientRetry } from '#src/platform/command/retry.js';
import { ConcurrencyError, StreamConditionError, UniquenessError } from '#src/platform/event-store/errors.js';
import type {
  AppendResult,
  EventEnvelope,
  ExpectedVersion,
  LoadToken,
} from '#src/platform/event-store/event-store.port.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { newStreamId, tenantUpdated } from '#test/fixtures.js';
import { DynamoEventStore } from './dynamodb.event-store.js';
import { KEY_PREFIX } from './key-items.js';

const client = testDocumentClient();
const table = testTable('EventStoreTable');
// Two store instances over one table: tokens of one are worthless to the other, as across Lambda instances.
const stores = [
  new DynamoEventStore(client, table, catalogue),
  new DynamoEventStore(client, table, catalogue),
];
const reader = stores[0] as DynamoEventStore;

// 'loaded': the caller loads first and appends with the store's token, as the command runner does.
const expectedArb: fc.Arbitrary<ExpectedVersion | 'loaded'> = fc.oneof(
  fc.nat({ max: 14 }),
  fc.constantFrom<ExpectedVersion | 'loaded'>('any', 'exists', 'no_stream', 'loaded', 'loaded'),
);
const callerArb = fc.record({ expected: expectedArb, size: fc.integer({ min: 1, max: 4 }) });

// A conditioned run: appends to B, and appends to A conditioned on a token of B. An A step loads B's token
// (through either store: a token of the other store is one this store did not issue), then waits for `waitFor`
// of the B steps listed after it, which start only once it holds its token, then appends.
const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('b' as const), size: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant('a' as const),
    waitFor: fc.integer({ min: 0, max: 2 }),
    loadVia: fc.constantFrom(0, 1),
    appendVia: fc.constantFrom(0, 1),
  }),
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
/** When an append call started and returned (performance.now()); its write happened in between. */
interface Span {
  start: number;
  end: number;
}
interface BWrite extends Span {
  firstVersion: number;
}
interface AOutcome extends Span {
  token: LoadToken;
  loadedAt: number;
  result: PromiseSettledResult<AppendResult>;
  eventIds: string[];
}

async function spanned<T>(fn: () => Promise<T>): Promise<Span & { value: T }> {
  const start = performance.now();
  const value = await fn();
  return { start, end: performance.now(), value };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Runs the steps concurrently on streams a and b: B writes as they land, and each A append's outcome. */
async function runConditioned(steps: Step[], a: string, b: string) {
  const loaded = steps.map(() => deferred());
  const bDone = new Map<number, Promise<unknown>>();
  const bWrites: BWrite[] = [];
  steps.forEach((step, i) => {
    if (step.kind !== 'b') return;
    const before = steps.flatMap((s, k) => (k < i && s.kind === 'a' ? [loaded[k]?.promise] : []));
    const write = Promise.all(before).then(async () => {
      const events = Array.from({ length: step.size }, () => tenantUpdated());
      const store = stores[i % 2] as DynamoEventStore;
      const w = await spanned(() => withTransientRetry(() => store.append(b, 'any', events)));
      bWrites.push({ start: w.start, end: w.end, firstVersion: w.value.version - step.size + 1 });
    });
    bDone.set(i, write);
  });
  const outcomes = await Promise.all(
    steps.flatMap((step, i) => {
      if (step.kind !== 'a') return [];
      return [
        (async (): Promise<AOutcome> => {
          const token = (await (stores[step.loadVia] as DynamoEventStore).load(b)).token;
          const loadedAt = performance.now();
          loaded[i]?.resolve();
          const later = [...bDone].filter(([k]) => k > i).slice(0, step.waitFor);
          await Promise.all(later.map(([, done]) => done));
          const events = [tenantUpdated()];
          const store = stores[step.appendVia] as DynamoEventStore;
          const start = performance.now();
          const [result] = await Promise.allSettled([
            withTransientRetry(() => store.append(a, 'any', events, { conditions: [token] })),
          ]);
          const end = performance.now();
          return { token, loadedAt, start, end, result, eventIds: events.map((e) => e.eventId) };
        })(),
      ];
    }),
  );
  await Promise.all(bDone.values());
  return { bWrites, outcomes };
}

/**
 * Linearisability, read off the clock: a B write that returned before an A append was called is ordered before
 * it. So an accepted A append conditioned on B@v had no B write that both began after its token was read and
 * ended before it was called, nor a B write at v + 1 that ended before it was called (either means B had moved);
 * a refused one names B, and B's item at v + 1 began before the refusal came back.
 */
function checkConditioned(outcome: AOutcome, bWrites: BWrite[], b: string, stored: Set<string>) {
  const v = outcome.token.version;
  const next = bWrites.find((w) => w.firstVersion === v + 1);
  if (outcome.result.status === 'fulfilled') {
    for (const id of outcome.eventIds) expect(stored.has(id)).toBe(true);
    const movedBefore = bWrites.filter((w) => w.start > outcome.loadedAt && w.end < outcome.start);
    expect(movedBefore).toEqual([]);
    if (next) expect(next.end).toBeGreaterThanOrEqual(outcome.start);
    return;
  }
  for (const id of outcome.eventIds) expect(stored.has(id)).toBe(false);
  const error = outcome.result.reason;
  expect(error).toBeInstanceOf(ConcurrencyError);
  if (!(error instanceof StreamConditionError)) return; // A's own replans ran out: not about B
  expect(error).toMatchObject({ streamId: b, expected: v });
  expect(error.actual).toBeGreaterThan(v);
  expect(next?.start).toBeLessThan(outcome.end);
}

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

  it('accepts an append conditioned on another stream only while that stream is at the token version', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.array(stepArb, { minLength: 2, maxLength: 12 }),
        async (prefill, steps) => {
          const [a, b] = [newStreamId(), newStreamId()];
          const prefilled = Array.from({ length: prefill }, () => tenantUpdated());
          if (prefill > 0) await reader.append(b, 'no_stream', prefilled);
          const { bWrites, outcomes } = await runConditioned(steps, a, b);
          const [storedA, storedB] = await Promise.all([a, b].map((s) => reader.readStream(s)));
          for (const events of [storedA, storedB] as EventEnvelope[][]) {
            expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
          }
          const idsA = new Set(storedA?.map((e) => e.eventId));
          for (const outcome of outcomes) checkConditioned(outcome, bWrites, b, idsA);
          accepted += outcomes.filter((o) => o.result.status === 'fulfilled').length;
          refused += outcomes.filter(
            (o) => o.result.status === 'rejected' && o.result.reason instanceof StreamConditionError,
          ).length;
        },
      ),
      { numRuns: 60 },
    );
    // Both outcomes must actually occur, or the property proves nothing.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
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

  it('makes exactly one data key for a new subject whatever number of first appends race for it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.emailAddress().filter((e) => z.email().safeParse(e).success),
        fc.integer({ min: 2, max: 20 }),
        async (local, n) => {
          // A subject nobody has used yet; each append from its own store (its own cold key cache), as from
          // concurrent Lambda instances.
          const email = `${ulid()}.${local}`.toLowerCase().slice(0, 200);
          const streams = Array.from({ length: n }, () => newStreamId());
          await Promise.all(
            streams.map((stream) =>
              withTransientRetry(() =>
                new DynamoEventStore(client, table, catalogue).append(stream, 'no_stream', [
                  tenantUpdated(email),
                ]),
              ),
            ),
          );
          const subjectId = await reader.keys.subjectIdOf(email);
          const { Items = [] } = await client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': KEY_PREFIX + subjectId },
              ConsistentRead: true,
            }),
          );
          expect(Items).toHaveLength(1);
          const fresh = new DynamoEventStore(client, table, catalogue);
          for (const stream of streams) {
            const [event] = await fresh.readStream(stream);
            expect(event?.data).toEqual({ contactEmail: email });
            expect(event?.erased).toBeUndefined();
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
