import { describe, expect, it } from 'vitest';
import { FailureHandler } from './failure-handler.js';
import { InMemoryParkedEvents } from './in-memory.parked-events.js';
import { RecordingMetrics } from './metrics.js';

const ref = { streamId: 'tenant-t1', version: 2, type: 'TENANT_PARKED' };
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const bug = new TypeError('bug: cannot project this event');

function handler() {
  const parked = new InMemoryParkedEvents();
  const metrics = new RecordingMetrics();
  const failures = new FailureHandler({
    parked,
    metrics,
    policy: { maxAttempts: 3, parkAfterMs: 3_600_000 },
  });
  return { parked, metrics, failures };
}

describe('failure handler: what counts toward parking', () => {
  it('counts only poison failures toward maxAttempts: one bug after a long outage is retried, not parked at once', async () => {
    const { parked, failures } = handler();
    for (let i = 0; i < 10; i++)
      expect(await failures.handle({ consumer: 'tenants.v1', ref, error: throttled, ageMs: 1000 })).toBe(
        'outage',
      );
    expect(await failures.handle({ consumer: 'tenants.v1', ref, error: bug, ageMs: 1000 })).toBe('retry');
    expect(await failures.handle({ consumer: 'tenants.v1', ref, error: bug, ageMs: 1000 })).toBe('retry');
    expect(await parked.list()).toEqual([]);
    expect(await failures.handle({ consumer: 'tenants.v1', ref, error: bug, ageMs: 1000 })).toBe('parked');
    expect((await parked.list()).map((p) => [p.kind, p.attempts])).toEqual([['poison', 3]]);
  });

  it('counts ParkedEvents once per event, however often it is parked again (a redelivered record)', async () => {
    const { parked, metrics, failures } = handler();
    const publisher = { consumer: 'eventPublisher', ref, error: bug, kind: 'poison' as const, ageMs: 1000 };
    for (let i = 0; i < 6; i++) await failures.handle(publisher);
    expect(metrics.total('ParkedEvents')).toBe(1);
    // the first record (its error and attempts) is kept
    expect((await parked.list()).map((p) => p.attempts)).toEqual([3]);
  });
});
