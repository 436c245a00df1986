import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { busEvent, sqsEvent, sqsRecord } from '#test/lambda-events.js';
import { type Consumer, type ConsumerDependencies, EventBusyError } from './consumer.js';
import { eventBridgeConsumer } from './eventbridge-consumer.js';
import { InMemoryConsumerLedger } from './ledger.js';
import { sqsConsumer } from './sqs-consumer.js';

const UserAssigned = z.object({ userId: z.string() });

function assigned(userId: string, correlationId = ulid()): EventEnvelope {
  return {
    eventId: ulid(),
    streamId: `tenant-${ulid()}`,
    version: 2,
    type: 'USER_ASSIGNED',
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    data: { userId, role: 'TenantMember' },
    metadata: { correlationId, actor: 'test' },
  };
}

let lines: Record<string, unknown>[];
let deps: ConsumerDependencies & { metrics: RecordingMetrics; ledger: InMemoryConsumerLedger };

beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  deps = {
    logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
    metrics: new RecordingMetrics(),
    ledger: new InMemoryConsumerLedger(),
  };
});
afterEach(() => vi.restoreAllMocks());

/** A consumer that records what it handled and fails for the users in `failFor` (once each, if `once`). */
function recorder(
  failFor: string[] = [],
  once = false,
): Consumer<{ USER_ASSIGNED: typeof UserAssigned }> & {
  handled: string[];
} {
  const handled: string[] = [];
  const failing = new Set(failFor);
  return {
    name: 'recorder',
    events: { USER_ASSIGNED: UserAssigned },
    handled,
    async handle(event, { logger }) {
      if (failing.has(event.data.userId)) {
        if (once) failing.delete(event.data.userId);
        throw new Error(`cannot handle ${event.data.userId}`);
      }
      logger.info('handled it');
      handled.push(event.data.userId);
    },
  };
}

describe('sqsConsumer', () => {
  it('hands the consumer the parsed detail, with the correlation id on every log line', async () => {
    const consumer = recorder();
    const event = assigned('alice', 'corr-123');
    const out = await sqsConsumer(consumer, () => deps)(sqsEvent([sqsRecord(busEvent(event))]));
    expect(out.batchItemFailures).toEqual([]);
    expect(consumer.handled).toEqual(['alice']);
    expect(lines.find((l) => l.message === 'handled it')).toMatchObject({
      correlationId: 'corr-123',
      eventId: event.eventId,
      consumer: 'recorder',
    });
  });

  it('handles an eventId once: a redelivered or republished event is skipped and counted', async () => {
    const consumer = recorder();
    const body = busEvent(assigned('alice'));
    const handler = sqsConsumer(consumer, () => deps);
    await handler(sqsEvent([sqsRecord(body)]));
    // The publisher's resend is a new EventBridge event with the same detail.
    const out = await handler(sqsEvent([sqsRecord({ ...body, id: ulid() }), sqsRecord(body)]));
    expect(out.batchItemFailures).toEqual([]);
    expect(consumer.handled).toEqual(['alice']);
    expect(deps.metrics.total('ConsumerDuplicates')).toBe(2);
  });

  it('FIFO: a failure stops its group (it and every later message of it are reported); other groups go on', async () => {
    const consumer = recorder(['a1']);
    const records = [
      sqsRecord(busEvent(assigned('a1')), { groupId: 'a' }),
      sqsRecord(busEvent(assigned('b1')), { groupId: 'b' }),
      sqsRecord(busEvent(assigned('a2')), { groupId: 'a' }),
      sqsRecord(busEvent(assigned('b2')), { groupId: 'b' }),
    ];
    const out = await sqsConsumer(consumer, () => deps)(sqsEvent(records));
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[0]?.messageId,
      records[2]?.messageId,
    ]);
    expect(consumer.handled).toEqual(['b1', 'b2']);
    expect(deps.metrics.total('ConsumerFailures')).toBe(1); // a2 was not tried, only held back
  });

  it('standard queue: only the failed message is reported, and its retry handles it', async () => {
    const consumer = recorder(['bob'], true);
    const handler = sqsConsumer(consumer, () => deps);
    const bob = sqsRecord(busEvent(assigned('bob')));
    const out = await handler(
      sqsEvent([sqsRecord(busEvent(assigned('alice'))), bob, sqsRecord(busEvent(assigned('carol')))]),
    );
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: bob.messageId }]);
    expect(lines.find((l) => l.message === 'event failed')).toMatchObject({
      level: 'ERROR',
      receiveCount: 1,
    });
    // The claim was given back: the redelivery is not mistaken for a duplicate.
    expect(
      (await handler(sqsEvent([{ ...bob, attributes: { ...bob.attributes, ApproximateReceiveCount: '2' } }])))
        .batchItemFailures,
    ).toEqual([]);
    expect(consumer.handled.sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('reports what is not the integration contract, or an event type it does not take, as failed', async () => {
    const consumer = recorder();
    const removed = { ...busEvent(assigned('x')), 'detail-type': 'USER_REMOVED' };
    (removed.detail as { type: string }).type = 'USER_REMOVED';
    const records = [sqsRecord('not json'), sqsRecord({ detail: {} }), sqsRecord(removed)];
    const out = await sqsConsumer(consumer, () => deps)(sqsEvent(records));
    expect(out.batchItemFailures).toHaveLength(3);
    expect(deps.metrics.total('ConsumerFailures')).toBe(3);
    expect(
      lines.filter((l) => l.message === 'event failed').map((l) => (l.error as { name: string }).name),
    ).toEqual(['InvalidMessageError', 'InvalidMessageError', 'InvalidMessageError']);
  });

  it('never handles one event twice at once: a live claim elsewhere has it retried, counted as busy, not failed', async () => {
    const consumer = recorder();
    const event = assigned('alice');
    await deps.ledger?.claim('recorder', event.eventId, 60_000);
    const record = sqsRecord(busEvent(event));
    const out = await sqsConsumer(consumer, () => deps)(sqsEvent([record]));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(consumer.handled).toEqual([]);
    // at-least-once delivery, not a fault: no failure metric, no ERROR line (alarms watch both)
    expect(deps.metrics.points).toEqual([
      { name: 'ConsumerBusy', value: 1, dimensions: { consumer: 'recorder' } },
    ]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
    expect(lines.find((l) => l.message === 'event busy: retried later')).toMatchObject({
      level: 'INFO',
      eventId: event.eventId,
      messageId: record.messageId,
    });
    // once the other invocation has finished, the retry finds the event done
    await deps.ledger?.complete('recorder', event.eventId);
    expect((await sqsConsumer(consumer, () => deps)(sqsEvent([record]))).batchItemFailures).toEqual([]);
    expect(consumer.handled).toEqual([]);
  });
});

describe('eventBridgeConsumer', () => {
  it('a live claim elsewhere: thrown for a retry, counted as busy, not as a failure', async () => {
    const event = assigned('alice');
    await deps.ledger?.claim('recorder', event.eventId, 60_000);
    await expect(eventBridgeConsumer(recorder(), () => deps)(busEvent(event))).rejects.toThrow(
      /another invocation/,
    );
    expect(deps.metrics.points).toEqual([
      { name: 'ConsumerBusy', value: 1, dimensions: { consumer: 'recorder' } },
    ]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('throws a failure (Lambda retries the invocation) and counts it', async () => {
    const handler = eventBridgeConsumer(recorder(['alice']), () => deps);
    await expect(handler(busEvent(assigned('alice')))).rejects.toThrow(/cannot handle alice/);
    expect(deps.metrics.points).toContainEqual({
      name: 'ConsumerFailures',
      value: 1,
      dimensions: { consumer: 'recorder' },
    });
  });
});

/** A consumer whose handler fails with `error` (this invocation holds the claim: nobody else is handling it). */
const failingWith = (error: unknown): Consumer<{ USER_ASSIGNED: typeof UserAssigned }> => ({
  name: 'reviewed',
  events: { USER_ASSIGNED: UserAssigned },
  async handle() {
    throw error;
  },
});

const failures = () => deps.metrics.total('ConsumerFailures');
const errorLines = () => lines.filter((l) => l.level === 'ERROR');

describe("busy is only the kit's own claim (the review of 312d459)", () => {
  it('review: an EventBusyError thrown by the handler itself (this invocation held the claim) is counted as a failure', async () => {
    // e.g. a handler that drives another kit consumer (consumeOne) or reuses the exported error for its own lock
    const record = sqsRecord(busEvent(assigned('alice')));
    const out = await sqsConsumer(
      failingWith(new EventBusyError('downstream lock held')),
      () => deps,
    )(sqsEvent([record]));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    // nobody else holds the event: the ledger said 'claimed' and the claim was given back after the handler failed
    expect(deps.ledger.entries.size).toBe(0);
    expect(failures(), 'a failed handler must count as ConsumerFailures, not ConsumerBusy').toBe(1);
    expect(errorLines()).toHaveLength(1);
  });

  it('review: a subclass of EventBusyError thrown by the handler is counted as a failure', async () => {
    class LockTimeout extends EventBusyError {}
    const out = await sqsConsumer(
      failingWith(new LockTimeout('gave up waiting')),
      () => deps,
    )(sqsEvent([sqsRecord(busEvent(assigned('bob')))]));
    expect(out.batchItemFailures).toHaveLength(1);
    expect(failures()).toBe(1);
    expect(errorLines()).toHaveLength(1);
  });
});

describe('busy and failures: what the review of 312d459 tried that held', () => {
  it('held: a failure whose cause is an EventBusyError, and a thrown non-Error, stay failures', async () => {
    await sqsConsumer(
      failingWith(new Error('wrapped', { cause: new EventBusyError('inner') })),
      () => deps,
    )(sqsEvent([sqsRecord(busEvent(assigned('c')))]));
    await sqsConsumer(
      failingWith({ name: 'EventBusyError', message: 'duck' }),
      () => deps,
    )(sqsEvent([sqsRecord(busEvent(assigned('d')))]));
    expect(failures()).toBe(2);
    expect(deps.metrics.total('ConsumerBusy')).toBe(0);
  });

  it('held: FIFO, a busy head stops its group (the later record is held back), other groups go on', async () => {
    const busy = assigned('a1');
    await deps.ledger.claim('reviewed', busy.eventId, 60_000);
    const ok: Consumer<{ USER_ASSIGNED: typeof UserAssigned }> = {
      name: 'reviewed',
      events: { USER_ASSIGNED: UserAssigned },
      async handle() {},
    };
    const records = [
      sqsRecord(busEvent(busy), { groupId: 'a' }),
      sqsRecord(busEvent(assigned('b1')), { groupId: 'b' }),
      sqsRecord(busEvent(assigned('a2')), { groupId: 'a' }),
    ];
    const out = await sqsConsumer(ok, () => deps)(sqsEvent(records));
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[0]?.messageId,
      records[2]?.messageId,
    ]);
    expect(deps.metrics.total('ConsumerBusy')).toBe(1);
  });

  it('held: a busy delivery on its last receive still says so (INFO, with its receiveCount): the DLQ alarm follows', async () => {
    const event = assigned('e');
    await deps.ledger.claim('reviewed', event.eventId, 60_000);
    await sqsConsumer(
      failingWith(new Error('unused')),
      () => deps,
    )(sqsEvent([sqsRecord(busEvent(event), { receiveCount: 5 })]));
    expect(lines.find((l) => l.message === 'event busy: retried later')).toMatchObject({
      level: 'INFO',
      receiveCount: 5,
      eventId: event.eventId,
    });
  });
});
