import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { decodeEvent, type StoredEvent } from '#src/platform/event-store/core.js';
import { PersonalDataError } from '#src/platform/event-store/errors.js';
import { eventStoreContract } from '#src/platform/event-store/event-store.contract.js';
import { personalDataContract } from '#src/platform/event-store/event-store.personal-data.contract.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { newStreamId, tenantUpdated } from '#test/fixtures.js';
import { personalDataSystem } from '#test/personal-data-system.js';
import { DynamoEventStore } from './dynamodb.event-store.js';
import { type CommitItem, commitEvents } from './event-items.js';
import { keyItemKey } from './key-items.js';
import { decodeEventRecords } from './stream-records.js';

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

/** The personal-data contract scans its table raw: one of its own, the event table's shape, so the scan is small. */
const privacyTable = `bbws-event-store-privacy-${ulid().toLowerCase()}`;
beforeAll(async () => {
  await client.send(
    new CreateTableCommand({
      TableName: privacyTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
});

const json = (item: unknown) => JSON.stringify(item, (_, v) => (v instanceof Set ? [...v] : v));

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: privacyTable, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

async function commits(streamId: string): Promise<CommitItem[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: privacyTable,
      KeyConditionExpression: 'pk = :pk AND sk >= :one',
      ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
      ConsistentRead: true,
    }),
  );
  return Items as CommitItem[];
}

personalDataContract(
  'DynamoDB Local',
  personalDataSystem,
  () => ({
    store: (options = {}) => new DynamoEventStore(client, privacyTable, options.catalogue ?? catalogue),
    deleteKey: async (subjectId) => {
      await client.send(new DeleteCommand({ TableName: privacyTable, Key: keyItemKey(subjectId) }));
    },
    rawItems: async () => (await scanAll()).map(json),
    commitItems: async (streamId) => (await commits(streamId)).map(json),
    tamper: async (streamId, version, edit) => {
      const item = (await commits(streamId)).find((c) => c.sk <= version && version < c.sk + c.n);
      if (!item) throw new Error(`no item holds ${streamId}@${version}`);
      const events = JSON.parse(item.ev) as StoredEvent[];
      const event = events.find((e) => e.v === version) as StoredEvent;
      const data = JSON.parse(event.d) as Record<string, unknown>;
      edit(data);
      event.d = JSON.stringify(data);
      await client.send(
        new PutCommand({ TableName: privacyTable, Item: { ...item, ev: JSON.stringify(events) } }),
      );
    },
  }),
  8,
);

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

/** Records what the store sends (command name and input), passing everything to DynamoDB Local. */
function spyClient() {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const spy = {
    send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      sent.push({ name: command.constructor.name, input: command.input });
      return client.send(command as QueryCommand);
    },
  };
  return { client: spy as unknown as DynamoDBDocumentClient, sent };
}

describe('DynamoDB event store: personal data', () => {
  it("writes a new subject's first event and key in one transaction; a warm append is one PutItem, no key read", async () => {
    const { client: spy, sent } = spyClient();
    const store = new DynamoEventStore(spy, table, catalogue);
    const email = `first.${ulid().toLowerCase()}@privacy.test`;
    const stream = newStreamId();
    const { token } = await store.append(stream, 'no_stream', [tenantUpdated(email)]);
    const transaction = sent.find((c) => c.name === 'TransactWriteCommand');
    const items = (transaction?.input.TransactItems ?? []) as { Put: { Item: { pk: string } } }[];
    expect(items.map((i) => i.Put.Item.pk)).toEqual([stream, `$key#${await store.keys.subjectIdOf(email)}`]);
    expect(sent.filter((c) => c.name !== 'QueryCommand').map((c) => c.name)).toEqual([
      'TransactWriteCommand',
    ]);
    sent.length = 0;
    await store.append(stream, 1, [tenantUpdated(email)], { token });
    expect(sent.map((c) => c.name)).toEqual(['PutCommand']);
  });

  it('decodes stream records with the keys: plain values, placeholders once erased, never ciphertext', async () => {
    const store = new DynamoEventStore(client, table, catalogue);
    const email = `streamed.${ulid().toLowerCase()}@privacy.test`;
    const stream = newStreamId();
    await store.append(stream, 'no_stream', [tenantUpdated(email)]);
    const [item] = (
      await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': stream },
          ConsistentRead: true,
        }),
      )
    ).Items as CommitItem[];
    const subjectId = await store.keys.subjectIdOf(email);
    const records = [
      { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: marshall(item) } },
      { eventName: 'INSERT', dynamodb: { SequenceNumber: '2', NewImage: marshall(keyItemKey(subjectId)) } },
    ] as DynamoDBRecord[];
    const decoded = await decodeEventRecords(records, catalogue, store.keys);
    expect(decoded.map((r) => r.events.map((e) => e.data))).toEqual([[{ contactEmail: email }], []]);
    expect(decoded.map((r) => r.subjects)).toEqual([[subjectId], []]);
    expect(() => decodeEvent(catalogue, stream, commitEvents(item as CommitItem)[0] as StoredEvent)).toThrow(
      PersonalDataError,
    );

    await client.send(new DeleteCommand({ TableName: table, Key: keyItemKey(subjectId) }));
    const [erased] = await decodeEventRecords(
      records,
      catalogue,
      new DynamoEventStore(client, table, catalogue).keys,
    );
    expect(erased?.events[0]).toMatchObject({
      data: { contactEmail: 'erased@erased.invalid' },
      erased: [{ path: 'contactEmail', subjectId }],
    });
  });
});
