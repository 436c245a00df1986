import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBridge } from './eventbridge-server.js';
import { freePort } from './ports.js';

const server = new LocalEventBridge([]);
let client: EventBridgeClient;

beforeAll(async () => {
  const endpoint = await server.listen(await freePort());
  client = new EventBridgeClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await server.close();
});

const entry = (detailBytes: number, time = true): PutEventsRequestEntry => ({
  Source: 'bbws.test', // 9 bytes
  DetailType: 'T', // 1 byte
  Detail: JSON.stringify({ x: 'a'.repeat(detailBytes - 8) }), // detailBytes
  EventBusName: 'not-counted-by-aws',
  ...(time ? { Time: new Date() } : {}),
});

const put = (Entries: PutEventsRequestEntry[]) => client.send(new PutEventsCommand({ Entries }));

describe('local EventBridge: the limits AWS enforces on PutEvents', () => {
  it('refuses more than 10 entries in one request', async () => {
    await expect(put(Array.from({ length: 11 }, () => entry(10)))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect((await put(Array.from({ length: 10 }, () => entry(10)))).FailedEntryCount).toBe(0);
  });

  it('refuses a request over 256 KB, counting Time as 14 bytes and not the bus name', async () => {
    const limit = 256 * 1024;
    // 8 events of 41 KB: an append the event store accepts, but not one request
    await expect(put(Array.from({ length: 8 }, () => entry(41 * 1024)))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const exactly = limit - 9 - 1; // Source + DetailType + Detail = the limit, without Time
    expect((await put([entry(exactly, false)])).FailedEntryCount).toBe(0);
    await expect(put([entry(exactly, true)])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put([entry(exactly - 13, true)])).rejects.toMatchObject({ name: 'ValidationException' });
    expect((await put([entry(exactly - 14, true)])).FailedEntryCount).toBe(0);
  });

  it('answers a whole call with an injected fault (an outage drill)', async () => {
    server.fault = () => ({ status: 500, type: 'InternalException' });
    await expect(put([entry(10)])).rejects.toMatchObject({ name: 'InternalException' });
    server.fault = () => ({ status: 400, type: 'ThrottlingException' });
    await expect(put([entry(10)])).rejects.toMatchObject({ name: 'ThrottlingException' });
    server.fault = () => undefined;
    expect((await put([entry(10)])).FailedEntryCount).toBe(0);
  });
});
