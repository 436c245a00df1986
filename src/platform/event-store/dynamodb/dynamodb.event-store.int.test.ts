import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { eventStoreContract } from '#src/platform/event-store/event-store.contract.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { newStreamId, tenantUpdated } from '#test/fixtures.js';
import { DynamoEventStore } from './dynamodb.event-store.js';

const client = testDocumentClient();
const table = testTable('EventStoreTable');

eventStoreContract('DynamoDB Local', () => ({
  store: (options = {}) =>
    new DynamoEventStore(
      client,
      table,
      options.catalogue ?? catalogue,
      options.now ? { now: options.now } : {},
    ),
}));

/**
 * The table as AWS pages it: DynamoDB returns a LastEvaluatedKey whenever a page stops at Limit, even with
 * nothing after it (DynamoDB Local 3.3 does so reading forward, not backward). Records every Query's Limit.
 */
function awsPagedClient() {
  const queries: (number | undefined)[] = [];
  const paged = {
    async send(command: QueryCommand | object) {
      const out = await client.send(command as QueryCommand);
      if (!(command instanceof QueryCommand)) return out;
      const { Limit } = command.input;
      queries.push(Limit);
      const last = out.Items?.at(-1);
      if (Limit !== undefined && out.Count === Limit && !out.LastEvaluatedKey && last) {
        return { ...out, LastEvaluatedKey: { pk: last.pk, sk: last.sk } };
      }
      return out;
    },
  };
  return { client: paged as unknown as DynamoDBDocumentClient, queries };
}

describe('DynamoDB event store: how load pages', () => {
  const events = (n: number) => Array.from({ length: n }, () => tenantUpdated());
  async function oneEventCommits(store: DynamoEventStore, n: number): Promise<string> {
    const stream = newStreamId();
    for (let version = 0; version < n; ) version = (await store.append(stream, version, events(1))).version;
    return stream;
  }

  it('reads one window, then full pages, when no snapshot is within the window', async () => {
    const { client: paged, queries } = awsPagedClient();
    const store = new DynamoEventStore(paged, table, catalogue);
    const stream = newStreamId();
    for (let version = 0; version < 60; ) version = (await store.append(stream, version, events(2))).version;
    queries.length = 0;
    const loaded = await store.load(stream, { deciderVersion: 'd1', snapshotEvery: 5 });
    expect(loaded.events.map((e) => e.version)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(queries).toEqual([5, undefined]);
  });

  it('stops at the first item of a stream that fills the window exactly, without an empty page', async () => {
    const { client: paged, queries } = awsPagedClient();
    const store = new DynamoEventStore(paged, table, catalogue);
    const stream = await oneEventCommits(store, 10);
    queries.length = 0;
    const loaded = await store.load(stream, { deciderVersion: 'd1', snapshotEvery: 10 });
    expect(loaded.version).toBe(10);
    expect(queries).toEqual([10]);
  });

  it('reads forward at full page size when no decider version asks for a snapshot', async () => {
    const { client: paged, queries } = awsPagedClient();
    const store = new DynamoEventStore(paged, table, catalogue);
    const stream = await oneEventCommits(store, 30);
    queries.length = 0;
    const loaded = await store.load(stream);
    expect(loaded.version).toBe(30);
    expect(loaded.events).toHaveLength(30);
    expect(queries).toEqual([undefined]);
  });
});

describe('DynamoDB event store: tokens', () => {
  it('freezes the tokens it issues: an issued token cannot be edited into a head the stream never had', async () => {
    const store = new DynamoEventStore(client, table, catalogue);
    const [a, b] = [newStreamId(), newStreamId()];
    const { token } = await store.append(b, 'no_stream', [tenantUpdated(), tenantUpdated()]);
    expect(() => {
      (token as { version: number }).version = 7;
    }).toThrow(TypeError);
    await store.append(b, 2, [tenantUpdated()], { token });
    await expect(
      store.append(a, 'no_stream', [tenantUpdated()], { conditions: [token] }),
    ).rejects.toMatchObject({
      name: 'StreamConditionError',
      actual: 3,
    });
    expect((await store.readStream(b)).map((e) => e.version)).toEqual([1, 2, 3]);
  });
});
