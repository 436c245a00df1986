import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { tenantCreated } from '#test/fixtures.js';
import { type BusEntry, MAX_ENTRY_BYTES, toBusEntry } from './integration-events.js';
import { type EventBus, PublishError, publish } from './publisher.js';

const noWait = { attempts: 5, baseDelayMs: 1, sleep: async () => {}, random: () => 0 };

const envelope = (i: number): EventEnvelope => {
  const e = tenantCreated(`t${i}`);
  return { ...e, streamId: `tenant-t${i}`, version: 1, schemaVersion: 2 };
};

/** A bus that refuses some entries of each call, as EventBridge may, and records what it accepted. */
function flakyBus(refuse: (entry: BusEntry, call: number) => boolean) {
  const accepted: string[] = [];
  const calls: number[] = [];
  const bus: EventBus = {
    async putEvents(entries) {
      calls.push(entries.length);
      return entries.map((entry) => {
        if (refuse(entry, calls.length)) return { errorCode: 'InternalFailure' };
        accepted.push(JSON.parse(entry.Detail).eventId);
        return {};
      });
    },
  };
  return { bus, accepted, calls };
}

describe('publisher', () => {
  it('maps an event to the versioned integration contract', () => {
    const entry = toBusEntry(catalogue, 'bbws-events-test', envelope(1));
    expect(entry).toMatchObject({
      Source: 'bbws.tenant-management',
      DetailType: 'TENANT_CREATED',
      EventBusName: 'bbws-events-test',
    });
    expect(JSON.parse(entry.Detail)).toMatchObject({
      specVersion: '1',
      streamId: 'tenant-t1',
      version: 1,
      tenantId: 't1',
    });
  });

  it('sends batches of at most 10 and resends only the failed entries until every event arrives', async () => {
    const events = Array.from({ length: 23 }, (_, i) => envelope(i));
    const entries = events.map((e) => toBusEntry(catalogue, 'bus', e));
    const { bus, accepted, calls } = flakyBus((_entry, call) => call <= 3 && Math.random() < 0.5);
    await publish(bus, entries, noWait);
    expect(new Set(accepted)).toEqual(new Set(events.map((e) => e.eventId)));
    expect(Math.max(...calls)).toBeLessThanOrEqual(10);
    // nothing accepted was sent again
    expect(accepted).toHaveLength(events.length);
  });

  it('treats a failed call as every entry failed, and raises when entries keep failing', async () => {
    let calls = 0;
    const bus: EventBus = {
      async putEvents() {
        calls++;
        throw new Error('network');
      },
    };
    await expect(publish(bus, [toBusEntry(catalogue, 'bus', envelope(1))], noWait)).rejects.toBeInstanceOf(
      PublishError,
    );
    expect(calls).toBe(5);
  });

  it('publishes an event over 256 KB without its data, flagged, instead of losing it', () => {
    const big = { ...envelope(1), data: { blob: 'x'.repeat(MAX_ENTRY_BYTES) } };
    const detail = JSON.parse(toBusEntry(catalogue, 'bus', big).Detail);
    expect(detail).toMatchObject({ data: null, dataOmitted: true, eventId: big.eventId });
  });
});
