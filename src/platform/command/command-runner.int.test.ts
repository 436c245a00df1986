import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '#src/platform/domain/errors.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { counterCatalogue, counterDecider } from '#test/counter.decider.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata, newStreamId } from '#test/fixtures.js';
import { CommandRunner } from './command-runner.js';
import { dependsOn } from './dependency.js';

const store = new DynamoEventStore(testDocumentClient(), testTable('EventStoreTable'), counterCatalogue);
const runner = new CommandRunner({
  store,
  clock: () => new Date(),
  newEventId: ulid,
  maxConflictRetries: 30,
});

describe('command runner on DynamoDB Local', () => {
  it('serialises concurrent commands on one stream through conflict retries, losing none', async () => {
    const stream = newStreamId('counter');
    const amounts = Array.from({ length: 12 }, (_, i) => i + 1);
    await Promise.all(
      amounts.map((amount) =>
        runner.run({
          decider: counterDecider(5),
          streamId: stream,
          command: { type: 'Add', amount },
          metadata: metadata(),
          result: ({ state }) => state.total,
        }),
      ),
    );
    const loaded = await store.load(stream, { deciderVersion: 'counter-1' });
    expect(loaded.version).toBe(12);
    expect(loaded.snapshot?.version).toBe(10);
    const events = await store.readStream(stream);
    expect(events.map((e) => (e.data as { amount: number }).amount).sort((a, b) => a - b)).toEqual(amounts);
  });

  it('loads a long stream as its snapshot plus fewer than N events', async () => {
    const stream = newStreamId('counter');
    for (let i = 0; i < 57; i++) {
      await runner.run({
        decider: counterDecider(10),
        streamId: stream,
        command: { type: 'Add', amount: 1 },
        metadata: metadata(),
        result: () => null,
      });
    }
    const loaded = await store.load(stream, { deciderVersion: 'counter-1' });
    expect(loaded.snapshot).toEqual({ version: 50, state: { total: 50, adds: 50 } });
    expect(loaded.events.map((e) => e.version)).toEqual([51, 52, 53, 54, 55, 56, 57]);
  });
});

describe('command runner on DynamoDB Local: Idempotency-Key and new streams', () => {
  const run = (streamId: string, key: string, extra: object = {}) =>
    runner.run({
      decider: counterDecider(),
      streamId,
      command: { type: 'Add', amount: 7 },
      metadata: metadata(),
      idempotency: { scope: 'user-1', key, requestHash: 'same request' },
      result: ({ version }) => ({ streamId, version }),
      ...extra,
    });

  it('appends once for 12 concurrent duplicates of a create (each minting its own stream id), all with one answer', async () => {
    const key = ulid();
    const streams = Array.from({ length: 12 }, () => newStreamId('counter'));
    const outcomes = await Promise.all(streams.map((stream) => run(stream, key, { newStream: true })));
    const written = await Promise.all(streams.map((stream) => store.readStream(stream)));
    expect(written.filter((events) => events.length > 0)).toHaveLength(1);
    const winner = streams[written.findIndex((events) => events.length > 0)];
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.result)))).toEqual(
      new Set([JSON.stringify({ streamId: winner, version: 1 })]),
    );
  });

  it('appends once for 12 concurrent duplicates of a command on one existing stream', async () => {
    const stream = newStreamId('counter');
    await run(stream, ulid());
    const key = ulid();
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => run(stream, key)));
    expect((await store.readStream(stream)).map((e) => e.version)).toEqual([1, 2]);
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.result)))).toEqual(
      new Set([JSON.stringify({ streamId: stream, version: 2 })]),
    );
  });

  it('a create on a stream that exists is refused by its write and decided again on the stream', async () => {
    const stream = newStreamId('counter');
    await run(stream, ulid());
    const outcome = await run(stream, ulid(), { newStream: true });
    expect(outcome).toMatchObject({ version: 2, replayed: false });
    expect((await store.readStream(stream)).map((e) => e.version)).toEqual([1, 2]);
  });
});

describe('command runner on DynamoDB Local: a stream the command depends on', () => {
  const add = (streamId: string, amount: number) =>
    store.append(streamId, 'any', [
      {
        eventId: ulid(),
        type: 'COUNTER_ADDED',
        occurredAt: new Date().toISOString(),
        data: { amount },
        metadata: metadata(),
      },
    ]);

  it('re-checks it on every attempt and conditions the append on its head, in the same transaction', async () => {
    const [stream, permission] = [newStreamId('counter'), newStreamId('permission')];
    await add(permission, 1);
    const seen: number[] = [];
    let raced = false;
    const racing = new CommandRunner({
      store: {
        ...bound(store),
        append: async (...args) => {
          if (!raced) {
            raced = true;
            await add(permission, 1000); // revoked between the check and the write
          }
          return store.append(...args);
        },
      },
      clock: () => new Date(),
      newEventId: ulid,
    });
    const run = racing.run({
      decider: counterDecider(),
      streamId: stream,
      command: { type: 'Add', amount: 1 },
      metadata: metadata(),
      dependsOn: [
        dependsOn(counterDecider(), permission, (state) => {
          seen.push(state.total);
          if (state.total >= 100) throw new ForbiddenError('revoked');
        }),
      ],
      result: () => null,
    });
    await expect(run).rejects.toBeInstanceOf(ForbiddenError);
    expect(seen).toEqual([1, 1001]);
    expect(await store.readStream(stream)).toEqual([]);
  });
});

function bound(s: EventStore): EventStore {
  return {
    append: s.append.bind(s),
    readStream: s.readStream.bind(s),
    load: s.load.bind(s),
    readAll: s.readAll.bind(s),
    findIdempotent: s.findIdempotent.bind(s),
    reservationHolder: s.reservationHolder.bind(s),
  };
}
