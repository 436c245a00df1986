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
