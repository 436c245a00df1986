import { describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { tenantCreated } from '#test/fixtures.js';
import type { ConsumedRecord } from './consumed-records.js';
import { ProjectionDispatcher } from './dispatcher.js';
import { InMemoryParkedEvents } from './in-memory.parked-events.js';
import { RecordingMetrics } from './metrics.js';
import type { ProjectionWriter } from './ports.js';

const record = (i: number, arrivedAt: number): ConsumedRecord => {
  const event: EventEnvelope = {
    ...tenantCreated(`t${i}`),
    streamId: `tenant-t${i}`,
    version: 1,
    schemaVersion: 2,
  };
  return { sequenceNumber: String(i).padStart(5, '0'), arrivedAt, events: [{ event }] };
};

describe('projection dispatcher during an outage of its table', () => {
  it('stops trying further streams of the batch after a throttled one, and has Lambda redeliver them all', async () => {
    const calls: string[] = [];
    const throttled: ProjectionWriter = {
      apply: async (_target, event) => {
        calls.push(event.streamId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
      checkpoint: async () => ({ version: 0 }),
      unpark: async () => {},
    };
    const now = Date.now();
    const dispatcher = new ProjectionDispatcher({
      writer: throttled,
      parked: new InMemoryParkedEvents(),
      targets: async () => [{ projection: tenantsV1, tableName: 'bbws-tenants-test' }],
      metrics: new RecordingMetrics(),
      clock: () => new Date(now),
      policy: { maxAttempts: 3, parkAfterMs: 3_600_000 },
      concurrency: 4,
    });
    const records = Array.from({ length: 40 }, (_, i) => record(i + 1, now));
    expect(await dispatcher.handle(records)).toBe('00001');
    // the streams already under way when the first throttle came back, not the forty
    expect(calls.length).toBeLessThanOrEqual(4);
  });
});
