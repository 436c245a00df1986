import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { testTable } from '#test/dynamo.js';
import { newStreamId, tenantCreated } from '#test/fixtures.js';
import { DynamoEventStore } from './dynamodb.event-store.js';

/**
 * In front of DynamoDB Local: forwards everything, but once armed, the next write of `operation` is applied and
 * its answer replaced by a 500 (DynamoDB: such a write "may or may not have succeeded"). The SDK sends it again.
 */
async function losingProxy(upstream: string) {
  let armed: string | undefined;
  let forgetToken = false;
  let forget = false;
  let lost = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body = Buffer.concat(chunks).toString('utf8');
      if (forget && String(req.headers['x-amz-target']).endsWith('.TransactWriteItems')) {
        // the resend as DynamoDB would take it after its idempotency window: a token it does not know
        forget = false;
        body = JSON.stringify({ ...JSON.parse(body), ClientRequestToken: `resent-${Date.now()}` });
      }
      const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
        ) as Record<string, string>,
        body,
      });
      const payload = Buffer.from(await answer.arrayBuffer());
      if (armed && String(req.headers['x-amz-target']).endsWith(`.${armed}`) && answer.status === 200) {
        forget = forgetToken && armed === 'TransactWriteItems';
        armed = undefined;
        lost++;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'lost' }),
        );
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    /** `unknownToken`: the resend of a transaction carries a ClientRequestToken DynamoDB has not seen. */
    lose: (operation: 'PutItem' | 'TransactWriteItems', unknownToken = false) => {
      armed = operation;
      forgetToken = unknownToken;
    },
    lost: () => lost,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let proxy: Awaited<ReturnType<typeof losingProxy>>;
let store: DynamoEventStore;
beforeAll(async () => {
  proxy = await losingProxy(inject('dynamoEndpoint'));
  store = new DynamoEventStore(
    documentClient({ region: 'af-south-1', endpoint: proxy.endpoint }),
    testTable('EventStoreTable'),
    catalogue,
  );
});
afterAll(() => proxy.stop());

describe('DynamoDB event store: an append written whose answer is lost', () => {
  it('a plain append (PutItem): the resend finds its own commit item, and the append succeeds once', async () => {
    const streamId = newStreamId();
    // the first append makes the stream's data key (a transaction); the next is one conditional PutItem
    await store.append(streamId, 'no_stream', [tenantCreated(streamId.slice(7))]);
    const before = proxy.lost();
    proxy.lose('PutItem');
    const result = await store.append(streamId, 1, [tenantCreated(streamId.slice(7))]);
    expect(proxy.lost()).toBe(before + 1);
    expect(result.version).toBe(2);
    expect(result.events).toHaveLength(1);
    expect((await store.readStream(streamId)).map((e) => e.eventId).at(-1)).toBe(result.events[0]?.eventId);
    expect((await store.readStream(streamId)).map((e) => e.version)).toEqual([1, 2]);
  });

  it('an append in a transaction (a reservation): the resend finds its own commit item, and the append succeeds once', async () => {
    const streamId = newStreamId();
    await store.append(streamId, 'no_stream', [tenantCreated(streamId.slice(7))]);
    const before = proxy.lost();
    // the SDK resends with the same ClientRequestToken, which DynamoDB answers as a success by itself; a resend
    // it does not recognise fails on the commit item, which holds this append's events
    proxy.lose('TransactWriteItems', true);
    const result = await store.append(streamId, 1, [tenantCreated(streamId.slice(7))], {
      reservations: { claim: [`lost-answer:${streamId}`] },
    });
    expect(proxy.lost()).toBe(before + 1);
    expect(result.version).toBe(2);
    expect((await store.readStream(streamId)).map((e) => e.version)).toEqual([1, 2]);
  });

  it('a commit item of another append at that version is still a conflict', async () => {
    const streamId = newStreamId();
    await store.append(streamId, 'no_stream', [tenantCreated(streamId.slice(7))]);
    await expect(
      store.append(streamId, 'no_stream', [tenantCreated(streamId.slice(7))]),
    ).rejects.toMatchObject({
      name: 'ConcurrencyError',
    });
  });
});
