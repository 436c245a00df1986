import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, IllegalStateError } from '#src/platform/domain/errors.js';
import {
  ConcurrencyError,
  IdempotencyKeyReuseError,
  TransientStoreError,
} from '#src/platform/event-store/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { counterCatalogue, counterDecider } from '#test/counter.decider.js';
import { metadata, newStreamId } from '#test/fixtures.js';
import { CommandRunner, PreconditionFailedError } from './command-runner.js';
import { dependsOn } from './dependency.js';

const NOW = new Date('2026-11-28T10:00:00.000Z');
const noSleep = { attempts: 5, baseDelayMs: 1, sleep: async () => {}, random: () => 0.5 };

function setup(wrap: (store: EventStore) => EventStore = (s) => s) {
  const inner = new InMemoryEventStore(counterCatalogue);
  const store = wrap(inner);
  let n = 0;
  const runner = new CommandRunner({
    store,
    clock: () => NOW,
    newEventId: () => `evt-${++n}`,
    retry: noSleep,
  });
  return { inner, runner };
}

const add = (runner: CommandRunner, streamId: string, amount: number, extra: object = {}) =>
  runner.run({
    decider: counterDecider(3),
    streamId,
    command: { type: 'Add', amount },
    metadata: metadata({ correlationId: 'corr-1' }),
    result: ({ state, version }) => ({ total: state.total, version }),
    ...extra,
  });

describe('command runner', () => {
  it('loads, decides and appends with the injected clock and ids', async () => {
    const { inner, runner } = setup();
    const stream = newStreamId('counter');
    const outcome = await add(runner, stream, 5);
    expect(outcome).toMatchObject({ result: { total: 5, version: 1 }, version: 1, replayed: false });
    const [event] = await inner.readStream(stream);
    expect(event).toMatchObject({ eventId: 'evt-1', occurredAt: NOW.toISOString(), type: 'COUNTER_ADDED' });
    expect(event?.metadata.correlationId).toBe('corr-1');
  });

  it('reloads and decides again when another writer got there first', async () => {
    let interfered = false;
    const { inner, runner } = setup((store) => ({
      ...bind(store),
      append: async (...args) => {
        if (!interfered) {
          interfered = true;
          await store.append(args[0], 'any', [
            {
              eventId: ulid(),
              type: 'COUNTER_ADDED',
              occurredAt: NOW.toISOString(),
              data: { amount: 100 },
              metadata: metadata(),
            },
          ]);
        }
        return store.append(...args);
      },
    }));
    const stream = newStreamId('counter');
    const outcome = await add(runner, stream, 1);
    expect(outcome.result).toEqual({ total: 101, version: 2 });
    expect((await inner.readStream(stream)).map((e) => e.data)).toEqual([{ amount: 100 }, { amount: 1 }]);
  });

  it('gives up after a bounded number of conflicts', async () => {
    const { runner } = setup((store) => ({
      ...bind(store),
      append: async (streamId) => {
        throw new ConcurrencyError(streamId, 0, 1);
      },
    }));
    await expect(add(runner, newStreamId('counter'), 1)).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('never retries a pinned (If-Match) version: 412 at once', async () => {
    let loads = 0;
    const { runner } = setup((store) => ({
      ...bind(store),
      load: (...args) => {
        loads++;
        return store.load(...args);
      },
    }));
    const stream = newStreamId('counter');
    await add(runner, stream, 1);
    loads = 0;
    const error = await add(runner, stream, 1, { expectedVersion: 7 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({ expected: 7, actual: 1 });
    expect(loads).toBe(1);
    expect((await add(runner, stream, 1, { expectedVersion: 1 })).version).toBe(2);
  });

  it('uses a load the caller already made for the first attempt, and loads afresh after a conflict', async () => {
    let loads = 0;
    const { inner, runner } = setup((store) => ({
      ...bind(store),
      load: (...args) => {
        loads++;
        return store.load(...args);
      },
    }));
    const stream = newStreamId('counter');
    await add(runner, stream, 1);
    const loaded = await inner.load(stream, { deciderVersion: 'counter-1' });
    loads = 0;
    expect((await add(runner, stream, 2, { loaded })).result).toEqual({ total: 3, version: 2 });
    expect(loads).toBe(0);
    // the caller's load is stale now (version 1): the conflict makes the runner load for itself
    expect((await add(runner, stream, 4, { loaded })).result).toEqual({ total: 7, version: 3 });
    expect(loads).toBe(1);
  });

  it('retries transient store errors with backoff and reports them only when they persist', async () => {
    let failures = 2;
    const delays: number[] = [];
    const inner = new InMemoryEventStore(counterCatalogue);
    const flaky: EventStore = {
      ...bind(inner),
      append: async (...args) => {
        if (failures-- > 0) throw new TransientStoreError('TransactionConflict');
        return inner.append(...args);
      },
    };
    const runner = new CommandRunner({
      store: flaky,
      clock: () => NOW,
      newEventId: ulid,
      retry: { ...noSleep, sleep: async (ms) => void delays.push(ms) },
    });
    expect((await add(runner, newStreamId('counter'), 2)).version).toBe(1);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] as number);
    failures = 99;
    await expect(add(runner, newStreamId('counter'), 2)).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('answers an idempotent retry with the first result and appends once', async () => {
    const { inner, runner } = setup();
    const stream = newStreamId('counter');
    const idempotency = { scope: 'user-1', key: 'k-1', requestHash: 'h' };
    const first = await add(runner, stream, 4, { idempotency });
    const retry = await add(runner, stream, 4, { idempotency });
    expect(retry).toMatchObject({ result: first.result, replayed: true });
    expect(await inner.readStream(stream)).toHaveLength(1);
    await expect(
      add(runner, stream, 4, { idempotency: { ...idempotency, requestHash: 'other' } }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('writes a snapshot every N events and loads from it', async () => {
    const { inner, runner } = setup();
    const stream = newStreamId('counter');
    for (let i = 1; i <= 7; i++) await add(runner, stream, i);
    const loaded = await inner.load(stream, { deciderVersion: 'counter-1' });
    expect(loaded.snapshot).toEqual({ version: 6, state: { total: 21, adds: 6 } });
    expect(loaded.events.map((e) => e.version)).toEqual([7]);
    expect((await add(runner, stream, 1)).result).toEqual({ total: 29, version: 8 });
  });

  it('appends nothing when the decider decides nothing', async () => {
    const { inner, runner } = setup();
    const stream = newStreamId('counter');
    const outcome = await runner.run({
      decider: counterDecider(),
      streamId: stream,
      command: { type: 'Noop' },
      metadata: metadata(),
      result: ({ version }) => version,
    });
    expect(outcome).toMatchObject({ result: 0, events: [] });
    expect(await inner.readStream(stream)).toEqual([]);
  });
});

/** A store that counts its loads and idempotency look-ups, and records the expected version of each append. */
function counting() {
  const seen = { loads: 0, lookups: 0, expected: [] as unknown[] };
  const harness = setup((store) => ({
    ...bind(store),
    load: (...args) => {
      seen.loads++;
      return store.load(...args);
    },
    findIdempotent: (...args) => {
      seen.lookups++;
      return store.findIdempotent(...args);
    },
    append: (...args) => {
      seen.expected.push(args[1]);
      return store.append(...args);
    },
  }));
  return { ...harness, seen };
}

describe('command runner: a stream the caller just minted', () => {
  it('decides on the initial state without loading and appends expecting no stream', async () => {
    const { inner, runner, seen } = counting();
    const stream = newStreamId('counter');
    const outcome = await add(runner, stream, 5, { newStream: true });
    expect(outcome).toMatchObject({ result: { total: 5, version: 1 }, version: 1, replayed: false });
    expect(seen).toMatchObject({ loads: 0, expected: ['no_stream'] });
    expect((await inner.readStream(stream)).map((e) => e.version)).toEqual([1]);
  });

  it('on a stream that exists after all: the append conflicts, the next attempt loads it and decides on it', async () => {
    const { inner, runner, seen } = counting();
    const stream = newStreamId('counter');
    await interfere(inner, stream, 999_998);
    // decided on the initial state, 5 would pass; on the real state (999,998) it breaks the limit
    await expect(add(runner, stream, 5, { newStream: true })).rejects.toBeInstanceOf(IllegalStateError);
    expect(seen).toMatchObject({ loads: 1, expected: ['no_stream'] });
    expect(await inner.readStream(stream)).toHaveLength(1);
    // and one that passes on the real state is decided on it, not on the initial state
    expect((await add(runner, stream, 1, { newStream: true })).result).toEqual({
      total: 999_999,
      version: 2,
    });
  });
});

describe('command runner: Idempotency-Key without a read up front', () => {
  const idempotency = { scope: 'user-1', key: 'k-1', requestHash: 'h' };

  it('looks nothing up for a first request, nor for a retry the append recognises', async () => {
    const { inner, runner, seen } = counting();
    const stream = newStreamId('counter');
    const first = await add(runner, stream, 4, { idempotency, newStream: true });
    // a retry of a create mints another stream id: the idempotency record in its transaction answers
    const retry = await add(runner, newStreamId('counter'), 4, { idempotency, newStream: true });
    expect(retry).toMatchObject({ result: first.result, replayed: true });
    expect(seen.lookups).toBe(0);
    expect(await inner.readStream(stream)).toHaveLength(1);
  });

  it('answers a retry that can no longer be decided (refused, If-Match stale) with the first answer', async () => {
    const { inner, runner, seen } = counting();
    const stream = newStreamId('counter');
    const first = await add(runner, stream, 600_000, { idempotency });
    // decided again on the state the first request left, it breaks the counter's limit
    expect(await add(runner, stream, 600_000, { idempotency })).toMatchObject({
      result: first.result,
      replayed: true,
    });
    const pinned = { idempotency: { ...idempotency, key: 'k-2' }, expectedVersion: 1 };
    const second = await add(runner, stream, 1, pinned);
    // the retry's If-Match (1) is stale now: its stored answer, not 412
    expect(await add(runner, stream, 1, pinned)).toMatchObject({ result: second.result, replayed: true });
    expect(seen.lookups).toBe(2);
    expect(await inner.readStream(stream)).toHaveLength(2);
  });

  it('refuses the key for another request whether that request would be decided, refused or a no-op', async () => {
    const { runner } = counting();
    const stream = newStreamId('counter');
    await add(runner, stream, 600_000, { idempotency });
    const other = { idempotency: { ...idempotency, requestHash: 'other' } };
    await expect(add(runner, stream, 1, other)).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
    await expect(add(runner, stream, 600_000, other)).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
    const noop = (extra: object) =>
      runner.run({
        decider: counterDecider(3),
        streamId: stream,
        command: { type: 'Noop' },
        metadata: metadata(),
        result: ({ version }) => ({ version }),
        ...extra,
      });
    await expect(noop(other)).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
    // a no-op under the same key and request is a retry: the first answer
    expect(await noop({ idempotency })).toMatchObject({
      result: { total: 600_000, version: 1 },
      replayed: true,
    });
    // a no-op under a new key is answered as it is
    expect(await noop({ idempotency: { ...idempotency, key: 'k-new' } })).toMatchObject({
      result: { version: 1 },
      replayed: false,
    });
  });
});

/** A COUNTER_ADDED of `amount`, appended behind the runner's back. */
const interfere = (store: EventStore, streamId: string, amount: number) =>
  store.append(streamId, 'any', [
    {
      eventId: ulid(),
      type: 'COUNTER_ADDED',
      occurredAt: NOW.toISOString(),
      data: { amount },
      metadata: metadata(),
    },
  ]);

/** A store whose `nth` append to `target` is preceded by `before` (another writer getting there first). */
function racing(target: string, before: (store: EventStore) => Promise<unknown>, nth = 1) {
  let appends = 0;
  return setup((store) => ({
    ...bind(store),
    append: async (...args) => {
      if (args[0] === target && ++appends === nth) await before(store);
      return store.append(...args);
    },
  }));
}

/** "Allowed while the total is under 100": stands in for a membership that a removal takes away. */
const allowedBelow100 = (seen: number[]) => (state: { total: number }) => {
  seen.push(state.total);
  if (state.total >= 100) throw new ForbiddenError('revoked');
};

describe('command runner: authorisation and streams a command depends on', () => {
  it('checks authorisation on every attempt, against the state the append is conditioned on', async () => {
    const stream = newStreamId('counter');
    const { inner, runner } = racing(stream, (store) => interfere(store, stream, 1000));
    const seen: number[] = [];
    await expect(add(runner, stream, 1, { authorize: allowedBelow100(seen) })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(seen).toEqual([0, 1000]);
    expect((await inner.readStream(stream)).map((e) => e.data)).toEqual([{ amount: 1000 }]);
  });

  it('loads and checks a stream it depends on at every attempt, and conditions the append on its head', async () => {
    const [stream, permission] = [newStreamId('counter'), newStreamId('permission')];
    const { inner, runner } = racing(stream, (store) => interfere(store, permission, 1000));
    const seen: number[] = [];
    const dependency = dependsOn(counterDecider(), permission, allowedBelow100(seen));
    await expect(add(runner, stream, 1, { dependsOn: [dependency] })).rejects.toBeInstanceOf(ForbiddenError);
    expect(seen).toEqual([0, 1000]);
    expect(await inner.readStream(stream)).toEqual([]);
  });

  it('decides again, never 412, when only a stream it depends on moved (If-Match pins its own stream)', async () => {
    const [stream, permission] = [newStreamId('counter'), newStreamId('permission')];
    // the second append to the stream (the pinned command) loses a race with a change to the permission
    const { inner, runner } = racing(stream, (store) => interfere(store, permission, 5), 2);
    await add(runner, stream, 1);
    await interfere(inner, permission, 1);
    const seen: number[] = [];
    const dependency = dependsOn(counterDecider(), permission, allowedBelow100(seen));
    const outcome = await add(runner, stream, 2, { expectedVersion: 1, dependsOn: [dependency] });
    expect(outcome.result).toEqual({ total: 3, version: 2 });
    expect(seen).toEqual([1, 6]);
  });

  it("uses the caller's load of a dependency on the first attempt only", async () => {
    const [stream, permission] = [newStreamId('counter'), newStreamId('permission')];
    let permissionLoads = 0;
    const { inner, runner } = setup((store) => ({
      ...bind(store),
      load: (...args) => {
        if (args[0] === permission) permissionLoads++;
        return store.load(...args);
      },
    }));
    await interfere(inner, permission, 1);
    const loaded = await inner.load(permission, { deciderVersion: 'counter-1' });
    const dependency = dependsOn(counterDecider(), permission, () => {}, loaded);
    await add(runner, stream, 1, { dependsOn: [dependency] });
    expect(permissionLoads).toBe(0);
    // stale now: the condition fails, the runner loads it for itself and succeeds
    await interfere(inner, permission, 1);
    expect((await add(runner, stream, 1, { dependsOn: [dependency] })).version).toBe(2);
    expect(permissionLoads).toBe(1);
  });

  it('takes If-Match as one version, any of several, or "exists" (*)', async () => {
    const { runner } = setup();
    const stream = newStreamId('counter');
    await expect(add(runner, stream, 1, { expectedVersion: 'exists' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await add(runner, stream, 1);
    expect((await add(runner, stream, 1, { expectedVersion: 'exists' })).version).toBe(2);
    expect((await add(runner, stream, 1, { expectedVersion: [1, 2] })).version).toBe(3);
    // only weak ETags: nothing can match
    await expect(add(runner, stream, 1, { expectedVersion: [] })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });
});

function bind(store: EventStore): EventStore {
  return {
    append: store.append.bind(store),
    readStream: store.readStream.bind(store),
    load: store.load.bind(store),
    readAll: store.readAll.bind(store),
    findIdempotent: store.findIdempotent.bind(store),
    reservationHolder: store.reservationHolder.bind(store),
  };
}
