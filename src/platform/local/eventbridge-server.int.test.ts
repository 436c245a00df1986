import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disconnectMidRequest, unhandledDuring } from '#test/broken-clients.js';
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

describe('local EventBridge: buses, and rules forwarding to another bus', () => {
  const ecsPattern = { source: ['aws.ecs'] };
  const received: { rule: string; event: unknown }[] = [];
  const to = (rule: string) => async (event: unknown) => void received.push({ rule, event });
  const bridge = new LocalEventBridge([
    { name: 'forward', bus: 'default', pattern: ecsPattern, targetBus: 'bbws-events-dev' },
    { name: 'onPlatform', bus: 'bbws-events-dev', pattern: ecsPattern, invoke: to('onPlatform') },
    { name: 'onDefault', bus: 'default', pattern: ecsPattern, invoke: to('onDefault') },
    // A rule of the platform bus forwarding again: EventBridge does not send a forwarded event to a third bus.
    { name: 'again', bus: 'bbws-events-dev', pattern: ecsPattern, targetBus: 'third' },
    { name: 'onThird', bus: 'third', pattern: ecsPattern, invoke: to('onThird') },
  ]);

  it("routes a service's event from the default bus to the platform bus, once, unchanged", async () => {
    const id = bridge.putServiceEvent({
      source: 'aws.ecs',
      detailType: 'ECS Service Action',
      resources: ['arn:aws:ecs:af-south-1:000000000000:service/c/s'],
      detail: { eventName: 'SERVICE_STEADY_STATE' },
      time: new Date('2026-01-02T03:04:05.678Z'),
    });
    await bridge.idle();
    expect(bridge.arrivals.map((a) => [a.bus, a.forwardedBy])).toEqual([
      ['default', undefined],
      ['bbws-events-dev', 'forward'],
    ]);
    expect(received.map((r) => r.rule).sort()).toEqual(['onDefault', 'onPlatform']);
    const event = received.find((r) => r.rule === 'onPlatform')?.event;
    expect(event).toMatchObject({ id, source: 'aws.ecs', time: '2026-01-02T03:04:05Z' });
    expect(event).toEqual(received.find((r) => r.rule === 'onDefault')?.event);
  });

  it('puts an entry on the bus it names, by name or ARN, and on the default bus when it names none', async () => {
    const endpoint = await bridge.listen(await freePort());
    const local = new EventBridgeClient({
      region: 'af-south-1',
      endpoint,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    try {
      const before = bridge.arrivals.length;
      const put = (EventBusName?: string) =>
        local.send(
          new PutEventsCommand({
            Entries: [{ Source: 'bbws.test', DetailType: 'T', Detail: '{}', EventBusName }],
          }),
        );
      await put();
      await put('arn:aws:events:af-south-1:000000000000:event-bus/bbws-events-dev');
      await bridge.idle();
      expect(bridge.arrivals.slice(before).map((a) => a.bus)).toEqual(['default', 'bbws-events-dev']);
    } finally {
      local.destroy();
      await bridge.close();
    }
  });
});

describe('local EventBridge: no request ends the process', () => {
  it('an entry whose Detail is not a JSON object fails alone with MalformedDetail, as in AWS', async () => {
    const before = server.accepted.length;
    let out: Awaited<ReturnType<typeof put>> | undefined;
    const unhandled = await unhandledDuring(async () => {
      out = await put([{ ...entry(10), Detail: 'not json' }, { ...entry(10), Detail: '[1]' }, entry(10)]);
    });
    expect(unhandled).toEqual([]);
    expect(out?.FailedEntryCount).toBe(2);
    expect(out?.Entries?.map((e) => e.ErrorCode)).toEqual(['MalformedDetail', 'MalformedDetail', undefined]);
    expect(server.accepted.length).toBe(before + 1);
  });

  it('a client that disconnects while sending its request', async () => {
    const endpoint = await client.config.endpoint?.();
    const url = `${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`;
    const unhandled = await unhandledDuring(() => disconnectMidRequest(url, 'AWSEvents.PutEvents'));
    expect(unhandled).toEqual([]);
    expect((await put([entry(10)])).FailedEntryCount).toBe(0);
  });
});
