import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { startFaultProxy } from '#test/drills/fault-proxy.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { eventually } from '#test/runtime.js';
import { StreamPoller } from './stream-poller.js';

const endpoint = inject('dynamoEndpoint');
const doc = testDocumentClient();
const eventTable = testTable('EventStoreTable');
const streams = new DynamoDBStreamsClient({
  region: 'af-south-1',
  endpoint,
  credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
});
const pollers: StreamPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

async function streamArn(): Promise<string> {
  const { Table } = await dynamoClient({ region: 'af-south-1', endpoint }).send(
    new DescribeTableCommand({ TableName: eventTable }),
  );
  return Table?.LatestStreamArn ?? '';
}

/**
 * Writes marker items into the event table (sk = 0: never events, so the other suites' consumers ignore them)
 * in one BatchWriteItem, so their stream records arrive together; the prefix tells this test's records apart.
 */
async function write(prefix: string, n: number): Promise<void> {
  const requests = Array.from({ length: n }, (_, i) => ({
    PutRequest: { Item: { pk: `$poller#${prefix}#${i}`, sk: 0 } },
  }));
  await doc.send(new BatchWriteCommand({ RequestItems: { [eventTable]: requests } }));
}

const mine = (prefix: string) => (record: DynamoDBRecord) =>
  String(record.dynamodb?.Keys?.pk?.S ?? '').startsWith(`$poller#${prefix}#`);
const index = (record: DynamoDBRecord) => Number(String(record.dynamodb?.Keys?.pk?.S).split('#').at(-1));

function poller(
  options: Partial<ConstructorParameters<typeof StreamPoller>[1]> & {
    invoke: ConstructorParameters<typeof StreamPoller>[1]['invoke'];
  },
  arn: string,
) {
  const p = new StreamPoller(streams, {
    streamArn: arn,
    batchSize: 10,
    maximumRetryAttempts: 3,
    bisect: false,
    reportBatchItemFailures: true,
    startingPosition: 'LATEST',
    pollMs: 10,
    ...options,
  });
  pollers.push(p);
  p.start();
  return p.ready;
}

describe('stream poller (Lambda event source mapping semantics) on DynamoDB Local', () => {
  it('redelivers from the lowest reported failure, then moves on', async () => {
    const prefix = ulid();
    const deliveries: number[][] = [];
    let failedOnce = false;
    await poller(
      {
        invoke: async (event) => {
          const records = (event as { Records: DynamoDBRecord[] }).Records;
          const ours = records.filter(mine(prefix));
          if (ours.length > 0) deliveries.push(ours.map(index));
          const third = records.find((r) => mine(prefix)(r) && index(r) === 2);
          if (third && !failedOnce) {
            failedOnce = true;
            return { batchItemFailures: [{ itemIdentifier: third.dynamodb?.SequenceNumber }] };
          }
          return { batchItemFailures: [] };
        },
      },
      await streamArn(),
    );
    await write(prefix, 5);
    // record 2 comes again after the failure (the retry follows a short backoff, so wait for it)
    const after = await eventually(() => {
      expect(new Set(deliveries.flat())).toEqual(new Set([0, 1, 2, 3, 4]));
      const firstWithTwo = deliveries.findIndex((d) => d.includes(2)) + 1;
      expect(deliveries.slice(firstWithTwo).flat()).toContain(2);
      return firstWithTwo;
    });
    expect(deliveries.slice(after).flat()).not.toContain(0);
  });

  it('bisects a failing batch, and sends the metadata of what keeps failing to the on-failure destination', async () => {
    const prefix = ulid();
    const failures: Record<string, unknown>[] = [];
    const sizes: number[] = [];
    await poller(
      {
        bisect: true,
        reportBatchItemFailures: false,
        maximumRetryAttempts: 1,
        onFailure: async (failure) => {
          failures.push(failure);
        },
        invoke: async (event) => {
          const records = (event as { Records: DynamoDBRecord[] }).Records.filter(mine(prefix));
          sizes.push(records.length);
          if (records.some((r) => index(r) === 3)) throw new Error('poison record 3');
          return undefined;
        },
      },
      await streamArn(),
    );
    await write(prefix, 4);
    await eventually(() => expect(failures.length).toBeGreaterThan(0));
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      DDBStreamBatchInfo: { batchSize: expect.any(Number) },
    });
    expect(JSON.stringify(failures[0])).not.toContain('$poller'); // metadata only, never the records
    expect(Math.max(...sizes)).toBeGreaterThan(1); // the records came as one batch ...
    expect(Math.min(...sizes.filter((n) => n > 0))).toBe(1); // ... and were bisected down to the poison record
  });

  it('bisects without consuming the retry quota: only the poison record is retried and given up on, the rest arrive', async () => {
    const prefix = ulid();
    const failures: Record<string, unknown>[] = [];
    const poisonAlone: number[] = [];
    const delivered = new Set<number>();
    const sequences = new Map<number, string>();
    await poller(
      {
        batchSize: 20,
        bisect: true,
        reportBatchItemFailures: false,
        maximumRetryAttempts: 2,
        pollMs: 200, // the eight records are written within one poll: they arrive as one batch
        retryDelayMs: () => 5,
        onFailure: async (failure) => {
          failures.push(failure);
        },
        invoke: async (event) => {
          const records = (event as { Records: DynamoDBRecord[] }).Records;
          const ours = records.filter(mine(prefix));
          for (const r of ours) sequences.set(index(r), String(r.dynamodb?.SequenceNumber));
          if (records.length === 1 && ours.length === 1 && index(ours[0] as DynamoDBRecord) === 3)
            poisonAlone.push(1);
          if (ours.some((r) => index(r) === 3)) throw new Error('poison record 3');
          for (const r of ours) delivered.add(index(r));
          return undefined;
        },
      },
      await streamArn(),
    );
    await write(prefix, 8);
    await eventually(() => expect(failures).toHaveLength(1));
    await eventually(() => expect([...delivered].sort()).toEqual([0, 1, 2, 4, 5, 6, 7]));
    // one invocation when the split reached it, then maximumRetryAttempts retries: the splits cost nothing
    expect(poisonAlone).toHaveLength(3);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: {
        batchSize: 1,
        startSequenceNumber: sequences.get(3),
        endSequenceNumber: sequences.get(3),
      },
    });
  });

  it('gives records up once they are older than the stream keeps them (a retry without limit ends there)', async () => {
    const prefix = ulid();
    const failures: Record<string, unknown>[] = [];
    await poller(
      {
        maximumRetryAttempts: -1,
        retentionSeconds: 1, // 24 hours in AWS, scaled down
        retryDelayMs: () => 50,
        onFailure: async (failure) => {
          failures.push(failure);
        },
        invoke: async (event) => {
          if ((event as { Records: DynamoDBRecord[] }).Records.some(mine(prefix)))
            throw new Error('always failing');
          return undefined;
        },
      },
      await streamArn(),
    );
    await write(prefix, 1);
    await eventually(() => expect(failures).toHaveLength(1), 5000);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded' },
      DDBStreamBatchInfo: {
        approximateArrivalOfFirstRecord: expect.any(String),
        approximateArrivalOfLastRecord: expect.any(String),
      },
    });
  });

  it('keeps its position through an outage of the Streams API: what was written during and after it arrives', async () => {
    const proxy = await startFaultProxy(endpoint);
    const faulty = new DynamoDBStreamsClient({
      region: 'af-south-1',
      endpoint: proxy.endpoint,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      maxAttempts: 1,
    });
    const prefix = ulid();
    const delivered = new Set<number>();
    const logs: string[] = [];
    const p = new StreamPoller(faulty, {
      streamArn: await streamArn(),
      batchSize: 10,
      maximumRetryAttempts: -1,
      bisect: false,
      reportBatchItemFailures: true,
      startingPosition: 'LATEST',
      pollMs: 10,
      log: (line) => logs.push(line),
      invoke: async (event) => {
        for (const r of (event as { Records: DynamoDBRecord[] }).Records.filter(mine(prefix)))
          delivered.add(index(r));
        return { batchItemFailures: [] };
      },
    });
    p.start();
    try {
      await p.ready;
      // every Streams API call answers 500 for a second (Lambda's mapping keeps polling through it)
      proxy.fault = () => ({ status: 500, type: 'InternalServerError' });
      await doc.send(
        new BatchWriteCommand({
          RequestItems: { [eventTable]: [{ PutRequest: { Item: { pk: `$poller#${prefix}#0`, sk: 0 } } }] },
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(proxy.refused).toBeGreaterThan(0);
      proxy.fault = () => undefined;
      await doc.send(
        new BatchWriteCommand({
          RequestItems: { [eventTable]: [{ PutRequest: { Item: { pk: `$poller#${prefix}#1`, sk: 0 } } }] },
        }),
      );
      await eventually(() => expect([...delivered].sort()).toEqual([0, 1]), 10_000);
      expect(logs.filter((line) => line.includes('stopped'))).toEqual([]);
    } finally {
      await p.stop();
      faulty.destroy();
      await proxy.stop();
    }
  });
});
