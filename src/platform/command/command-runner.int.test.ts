import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { counterCatalogue, counterDecider } from '#test/counter.decider.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata, newStreamId } from '#test/fixtures.js';
import { CommandRunner } from './command-runner.js';

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
