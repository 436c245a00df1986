// Adversarial review of 312d459 (a live claim elsewhere is counted as ConsumerBusy and logged at INFO, not as a
// failure). recordFailure decides "busy" by the error's class alone (`instanceof EventBusyError`), wherever the
// error came from: the ledger's claim, or the consumer's own handler, or a consumer that has no ledger at all.
import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { busEvent, sqsEvent, sqsRecord } from '#test/lambda-events.js';
import { type AwsEventConsumer, sqsAwsEventConsumer } from './aws-event-consumer.js';
import { type Consumer, type ConsumerDependencies, EventBusyError } from './consumer.js';
import { InMemoryConsumerLedger } from './ledger.js';
import { sqsConsumer } from './sqs-consumer.js';

const UserAssigned = z.object({ userId: z.string() });

const assigned = (userId: string): EventEnvelope => ({
  eventId: ulid(),
  streamId: `tenant-${ulid()}`,
  version: 2,
  type: 'USER_ASSIGNED',
  schemaVersion: 1,
  occurredAt: new Date().toISOString(),
  data: { userId, role: 'TenantMember' },
  metadata: { correlationId: ulid(), actor: 'test' },
});

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

describe('review 312d459: only the ledger saying "busy" is busy', () => {
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

  it('review: an AWS-event consumer (no ledger, nothing ever claimed) counts a thrown EventBusyError as a failure', async () => {
    const consumer: AwsEventConsumer = {
      name: 'reviewedAws',
      async handle() {
        throw new EventBusyError('not a claim: this consumer has no ledger');
      },
    };
    const body = {
      version: '0',
      id: 'e1',
      'detail-type': 'ECS Service Action',
      source: 'aws.ecs',
      account: '000000000000',
      time: '2026-02-01T00:00:00Z',
      region: 'af-south-1',
      resources: ['arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/svc'],
      detail: {},
    };
    const out = await sqsAwsEventConsumer(consumer, () => deps)(sqsEvent([sqsRecord(body)]));
    expect(out.batchItemFailures).toHaveLength(1);
    expect(failures()).toBe(1);
    expect(errorLines()).toHaveLength(1);
  });
});

describe('review 312d459: what held', () => {
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
