import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type ConsumerDependencies, InvalidMessageError, recordFailure } from './consumer.js';
import { concurrently, parseBody } from './sqs-consumer.js';

/** An AWS service's event as EventBridge delivers it (ECS, say): no integration contract, no platform stream. */
export const AwsServiceEvent = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  /** The account the event happened in (EventBridge sets it; a forwarded event keeps its source account's). */
  account: z.string().optional(),
  time: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
export type AwsServiceEvent = z.infer<typeof AwsServiceEvent>;

/**
 * A consumer of an AWS service's events. No deduplication ledger: AWS's events repeat and arrive out of order, so
 * the handler itself must be idempotent and order-free (the ECS state sync is: the decider drops a fact not
 * newer than the newest). Throwing has the message retried, then dead-lettered.
 */
export interface AwsEventConsumer {
  name: string;
  handle(event: AwsServiceEvent, context: { logger: Logger }): Promise<void>;
}

/**
 * The Lambda entry point of an SQS-triggered AwsEventConsumer (each message body is one EventBridge event): records
 * concurrently, each failure reported alone in `batchItemFailures` (a standard queue).
 */
export function sqsAwsEventConsumer(
  consumer: AwsEventConsumer,
  deps: () => Pick<ConsumerDependencies, 'logger' | 'metrics'>,
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const d = deps();
    try {
      const failed = await concurrently(event.Records, (record) => consumeRecord(consumer, d, record));
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    } finally {
      d.metrics.flush();
    }
  };
}

async function consumeRecord(
  consumer: AwsEventConsumer,
  deps: Pick<ConsumerDependencies, 'logger' | 'metrics'>,
  record: SQSRecord,
): Promise<boolean> {
  let logger = deps.logger.createChild({
    persistentKeys: { consumer: consumer.name, messageId: record.messageId },
  });
  try {
    const parsed = AwsServiceEvent.safeParse(parseBody(record.body));
    if (!parsed.success) throw new InvalidMessageError('not an EventBridge event', { cause: parsed.error });
    const event = parsed.data;
    // The event's id is its correlation id: the command it causes carries it on.
    logger = deps.logger.createChild({
      persistentKeys: {
        consumer: consumer.name,
        messageId: record.messageId,
        correlationId: event.id,
        source: event.source,
        detailType: event['detail-type'],
      },
    });
    await consumer.handle(event, { logger });
    return true;
  } catch (error) {
    recordFailure(deps, consumer.name, logger, error, {
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    return false;
  }
}
