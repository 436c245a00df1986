import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { eventually } from '#test/runtime.js';
import { StreamPoller } from './stream-poller.js';

/**
 * A shard trimmed under the poller's iterator (TrimmedDataAccessException): Lambda's mapping reads on from what
 * the shard keeps. DynamoDB Local answers so, at times, to a LATEST iterator taken on an empty shard once its
 * first record arrives (the local runtime's pollers then delivered nothing for ever: the iam-enforcement suite
 * timed out on it). The proxy makes every iterator issued before `trim()` a trimmed one.
 */
const endpoint = inject('dynamoEndpoint');

/**
 * Forwards to DynamoDB Local, noting when each shard iterator was issued (GetShardIterator, NextShardIterator);
 * after `trim()`, GetRecords with an iterator issued before answers TrimmedDataAccessException, as a shard
 * trimmed past it would.
 */
async function startStreamTrimProxy(upstream: string) {
  const target = new URL(upstream);
  const issued = new Map<string, number>();
  const state = { epoch: 0, trimmedAnswers: 0 };
  const trimmed = (res: ServerResponse) => {
    state.trimmedAnswers++;
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException',
        message: 'The operation attempted to read past the oldest stream record in a shard.',
      }),
    );
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = JSON.parse(body.toString('utf8') || '{}') as { ShardIterator?: string };
      const epoch = json.ShardIterator === undefined ? undefined : issued.get(json.ShardIterator);
      if (
        String(req.headers['x-amz-target']).endsWith('.GetRecords') &&
        epoch !== undefined &&
        epoch < state.epoch
      )
        return trimmed(res);
      // an iterator chained from one is as old as it: a trim while the call was under way kills both
      const at = epoch ?? state.epoch;
      const forward = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (upstreamRes) => {
          const answer: Buffer[] = [];
          upstreamRes.on('data', (chunk: Buffer) => answer.push(chunk));
          upstreamRes.on('end', () => {
            const text = Buffer.concat(answer).toString('utf8');
            const out = JSON.parse(text || '{}') as { ShardIterator?: string; NextShardIterator?: string };
            for (const iterator of [out.ShardIterator, out.NextShardIterator])
              if (iterator) issued.set(iterator, at);
            const headers = { ...upstreamRes.headers, 'content-length': String(Buffer.byteLength(text)) };
            res.writeHead(upstreamRes.statusCode ?? 502, headers);
            res.end(text);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get trimmedAnswers() {
      return state.trimmedAnswers;
    },
    /** Every iterator issued so far now points before the shard's oldest record. */
    trim() {
      state.epoch++;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const doc = testDocumentClient();
const eventTable = testTable('EventStoreTable');
let proxy: Awaited<ReturnType<typeof startStreamTrimProxy>>;
let streams: DynamoDBStreamsClient;

beforeAll(async () => {
  proxy = await startStreamTrimProxy(endpoint);
  streams = new DynamoDBStreamsClient({
    region: 'af-south-1',
    endpoint: proxy.endpoint,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
});
afterAll(async () => {
  streams?.destroy();
  await proxy?.stop();
});

const write = (prefix: string, i: number) =>
  doc.send(
    new BatchWriteCommand({
      RequestItems: { [eventTable]: [{ PutRequest: { Item: { pk: `$trim#${prefix}#${i}`, sk: 0 } } }] },
    }),
  );
const ours = (prefix: string, event: unknown) =>
  (event as { Records: DynamoDBRecord[] }).Records.map((r) => String(r.dynamodb?.Keys?.pk?.S)).filter((pk) =>
    pk.startsWith(`$trim#${prefix}#`),
  );

async function startPoller(prefix: string, delivered: string[], logs: string[]) {
  const { Table } = await dynamoClient({ region: 'af-south-1', endpoint }).send(
    new DescribeTableCommand({ TableName: eventTable }),
  );
  const poller = new StreamPoller(streams, {
    streamArn: Table?.LatestStreamArn ?? '',
    batchSize: 100,
    maximumRetryAttempts: -1,
    bisect: false,
    reportBatchItemFailures: true,
    startingPosition: 'LATEST',
    pollMs: 10,
    log: (line) => logs.push(line),
    invoke: async (event) => {
      delivered.push(...ours(prefix, event));
      return { batchItemFailures: [] };
    },
  });
  poller.start();
  await poller.ready;
  return poller;
}

describe('stream poller: a shard trimmed under its iterator', () => {
  it('reads on from what the shard keeps: each record written after it was positioned arrives, once', async () => {
    const prefix = ulid();
    const delivered: string[] = [];
    const logs: string[] = [];
    const poller = await startPoller(prefix, delivered, logs);
    try {
      proxy.trim(); // before any record was read: no sequence number to read on after
      await write(prefix, 0);
      await eventually(() => expect(delivered).toEqual([`$trim#${prefix}#0`]), 10_000);
      proxy.trim(); // after one: read on after it, nothing delivered twice
      await write(prefix, 1);
      await eventually(() => expect(delivered).toEqual([`$trim#${prefix}#0`, `$trim#${prefix}#1`]), 10_000);
      expect(proxy.trimmedAnswers).toBeGreaterThanOrEqual(2);
      expect(logs.filter((line) => line.includes('trimmed'))).toHaveLength(2);
    } finally {
      await poller.stop();
    }
  });
});
