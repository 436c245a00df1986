import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newStreamId, tenantUpdated } from '#test/fixtures.js';
import { ConcurrencyError, StreamConditionError } from './errors.js';
import type { ContractHarness } from './event-store.contract.js';
import type { EventStore, LoadToken, NewEvent } from './event-store.port.js';

const updates = (n: number): NewEvent[] =>
  Array.from({ length: n }, (_, i) => tenantUpdated(`u${i}@example.com`));

async function refusal(append: Promise<unknown>): Promise<StreamConditionError> {
  const error = await append.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StreamConditionError);
  expect(error).toBeInstanceOf(ConcurrencyError);
  return error as StreamConditionError;
}

/** Nothing of a refused append may be left: no events, no reservation, no idempotency record. */
async function expectNothingWritten(
  store: EventStore,
  stream: string,
  extras: { reservation?: string; idempotency?: { scope: string; key: string; requestHash: string } } = {},
) {
  expect(await store.readStream(stream)).toEqual([]);
  if (extras.reservation) expect(await store.reservationHolder(extras.reservation)).toBeUndefined();
  const idem = extras.idempotency;
  if (idem) expect(await store.findIdempotent(idem.scope, idem.key, idem.requestHash)).toBeUndefined();
}

/** Appends conditioned on other streams' heads (AppendOptions.conditions); part of the event store contract. */
export function conditionsContract(makeHarness: () => ContractHarness): void {
  describe('conditions on other streams', () => {
    it('appends while the conditioned stream is still at its token (from load or from append)', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const fromAppend = await store.append(b, 'no_stream', updates(3));
      await store.append(a, 'no_stream', updates(1), { conditions: [fromAppend.token] });
      const fromLoad = (await store.load(b)).token;
      const result = await store.append(a, 1, updates(2), { conditions: [fromLoad] });
      expect(result.version).toBe(3);
      expect((await store.readStream(b)).length).toBe(3);
    });

    it('refuses with an error naming the moved stream and writes nothing at all', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const token = (await store.append(b, 'no_stream', updates(2))).token;
      await store.append(b, 2, updates(2));
      const plain = await refusal(store.append(a, 'no_stream', updates(1), { conditions: [token] }));
      expect(plain).toMatchObject({ streamId: b, expected: 2, actual: 4, appendTo: a });
      await expectNothingWritten(store, a);
      const reservation = `org:${ulid()}`;
      const idempotency = { scope: 'user-1', key: ulid(), requestHash: 'h', result: 'r' };
      const withExtras = await refusal(
        store.append(a, 'any', updates(1), {
          conditions: [token],
          reservations: { claim: [reservation] },
          idempotency,
        }),
      );
      expect(withExtras).toMatchObject({ streamId: b, expected: 2, actual: 4 });
      await expectNothingWritten(store, a, { reservation, idempotency });
    });

    it('commits with reservations and idempotency, and replays a retry even after the condition broke', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const token = (await store.append(b, 'no_stream', updates(1))).token;
      const reservation = `org:${ulid()}`;
      const idempotency = { scope: 'user-1', key: ulid(), requestHash: 'h', result: { made: a } };
      const request = { conditions: [token], reservations: { claim: [reservation] }, idempotency };
      expect((await store.append(a, 'no_stream', updates(2), request)).version).toBe(2);
      expect(await store.reservationHolder(reservation)).toBe(a);
      expect(await store.findIdempotent('user-1', idempotency.key, 'h')).toEqual({ result: { made: a } });
      await store.append(b, 1, updates(1));
      // Refused by its own stream's head, and (with `any`) by the condition inside the write: a replay both times.
      for (const expected of ['no_stream', 'any'] as const) {
        const retry = await store.append(a, expected, updates(2), request);
        expect(retry.replayed).toEqual({ result: { made: a } });
      }
      expect((await store.readStream(a)).length).toBe(2);
    });

    it('holds a condition on a stream that does not exist yet until that stream is created', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const empty = (await store.load(b)).token;
      expect(empty.version).toBe(0);
      await store.append(a, 'no_stream', updates(1), { conditions: [empty] });
      await store.append(a, 1, updates(1), { conditions: [empty] });
      await store.append(b, 'no_stream', updates(1));
      const error = await refusal(store.append(a, 2, updates(1), { conditions: [empty] }));
      expect(error).toMatchObject({ streamId: b, expected: 0, actual: 1 });
      expect((await store.readStream(a)).length).toBe(2);
    });

    it('checks a token it did not issue against the head: refused when it lies, accepted when true', async () => {
      const harness = makeHarness();
      const store = harness.store();
      const [a, b] = [newStreamId(), newStreamId()];
      await store.append(b, 'no_stream', updates(5)); // one item covering versions 1..5
      // Ahead of the stream, and inside an item: neither has an item at version + 1 to trip over.
      for (const version of [7, 3, 0]) {
        const forged: LoadToken = { streamId: b, version };
        const error = await refusal(store.append(a, 'no_stream', updates(1), { conditions: [forged] }));
        expect(error).toMatchObject({ streamId: b, expected: version, actual: 5 });
      }
      await expectNothingWritten(store, a);
      await store.append(a, 'no_stream', updates(1), { conditions: [{ streamId: b, version: 5 }] });
      // A token of another store instance (another Lambda's, say) is not this store's to trust either.
      const foreign = (await harness.store().load(b)).token;
      await store.append(a, 1, updates(1), { conditions: [foreign] });
      await store.append(b, 5, updates(1));
      const error = await refusal(store.append(a, 2, updates(1), { conditions: [foreign] }));
      expect(error).toMatchObject({ streamId: b, expected: 5, actual: 6 });
    });

    it('names the one condition that failed among several', async () => {
      const store = makeHarness().store();
      const [a, b, c] = [newStreamId(), newStreamId(), newStreamId()];
      const tokenB = (await store.append(b, 'no_stream', updates(1))).token;
      const tokenC = (await store.append(c, 'no_stream', updates(1))).token;
      await store.append(c, 1, updates(2));
      const error = await refusal(store.append(a, 'no_stream', updates(1), { conditions: [tokenB, tokenC] }));
      expect(error).toMatchObject({ streamId: c, expected: 1, actual: 3, appendTo: a });
      await expectNothingWritten(store, a);
    });

    it('refuses a condition on the appended stream itself, or on two versions of one stream', async () => {
      const store = makeHarness().store();
      const [a, b] = [newStreamId(), newStreamId()];
      const own = (await store.append(a, 'no_stream', updates(1))).token;
      await expect(store.append(a, 1, updates(1), { conditions: [own] })).rejects.toBeInstanceOf(RangeError);
      const twice = [
        { streamId: b, version: 0 },
        { streamId: b, version: 1 },
      ];
      await expect(store.append(a, 1, updates(1), { conditions: twice })).rejects.toBeInstanceOf(RangeError);
      expect((await store.readStream(a)).length).toBe(1);
    });
  });
}
