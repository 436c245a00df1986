import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { sqsEvent, sqsRecord } from '#test/lambda-events.js';
import { type AwsEventConsumer, sqsAwsEventConsumer } from './aws-event-consumer.js';
import { EventBusyError } from './consumer.js';

let lines: Record<string, unknown>[];
let metrics: RecordingMetrics;
const logger = () => new Logger({ serviceName: 'test', logLevel: 'INFO' });

beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  metrics = new RecordingMetrics();
});
afterEach(() => vi.restoreAllMocks());

/** An ECS event as EventBridge puts it into a queue (the message body). */
const ecsEvent = (id: string) => ({
  version: '0',
  id,
  'detail-type': 'ECS Service Action',
  source: 'aws.ecs',
  account: '000000000000',
  time: '2026-02-01T00:00:00Z',
  region: 'af-south-1',
  resources: ['arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/svc'],
  detail: { eventName: 'SERVICE_STEADY_STATE' },
});

function recorder(failFor: string[] = []): AwsEventConsumer & { handled: string[] } {
  const handled: string[] = [];
  return {
    name: 'recorder',
    handled,
    async handle(event, context) {
      if (failFor.includes(event.id)) throw new Error(`failing ${event.id}`);
      context.logger.info('handled');
      handled.push(event.id);
    },
  };
}

describe('sqsAwsEventConsumer: an AWS service event per message', () => {
  it('hands each event to the consumer and reports only the failed records', async () => {
    const consumer = recorder(['b']);
    const records = ['a', 'b', 'c'].map((id) => sqsRecord(ecsEvent(id), { receiveCount: 2 }));
    const handler = sqsAwsEventConsumer(consumer, () => ({ logger: logger(), metrics }));
    const response = await handler(sqsEvent(records));
    expect(consumer.handled.sort()).toEqual(['a', 'c']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.messageId }]);
    expect(metrics.total('ConsumerFailures')).toBe(1);
    expect(lines.find((l) => l.message === 'event failed')).toMatchObject({
      consumer: 'recorder',
      correlationId: 'b',
      receiveCount: 2,
    });
    // Each line of an event carries its EventBridge id as the correlation id.
    expect(lines.find((l) => l.message === 'handled')).toMatchObject({ correlationId: expect.any(String) });
  });

  it('fails a message that is not an EventBridge event (to the DLQ after its retries), not the batch', async () => {
    const consumer = recorder();
    const records = [sqsRecord('not json'), sqsRecord({ id: 'x' }), sqsRecord(ecsEvent('ok'))];
    const response = await sqsAwsEventConsumer(consumer, () => ({ logger: logger(), metrics }))(
      sqsEvent(records),
    );
    expect(consumer.handled).toEqual(['ok']);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[0]?.messageId,
      records[1]?.messageId,
    ]);
  });

  it('an EventBusyError it throws is a failure: this consumer claims nothing, so nothing of it is busy', async () => {
    const consumer: AwsEventConsumer = {
      name: 'noLedger',
      async handle() {
        throw new EventBusyError('not a claim: this consumer has no ledger');
      },
    };
    const out = await sqsAwsEventConsumer(consumer, () => ({ logger: logger(), metrics }))(
      sqsEvent([sqsRecord(ecsEvent('e1'))]),
    );
    expect(out.batchItemFailures).toHaveLength(1);
    expect(metrics.total('ConsumerFailures')).toBe(1);
    expect(metrics.total('ConsumerBusy')).toBe(0);
    expect(lines.filter((l) => l.level === 'ERROR')).toHaveLength(1);
  });
});
