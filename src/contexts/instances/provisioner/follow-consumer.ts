import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ConsumerDependencies, recordFailure } from '#src/platform/consumers/consumer.js';
import { concurrently, parseBody } from '#src/platform/consumers/sqs-consumer.js';
import { FollowUpMessage, followRun } from './follow.js';
import type { ProvisionerDependencies } from './provisioner.js';
import { logRefusal } from './steps.js';

const CONSUMER = 'provisionerFollow';

/**
 * The follow-up queue's entry point: each message is one poll of a run (follow.ts). Messages are independent:
 * each failure is counted (ConsumerFailures), logged and reported alone (ReportBatchItemFailures), retried after
 * the visibility timeout; a body that is not a follow-up can never succeed and is reported too, so it ends in the
 * DLQ rather than vanishing.
 */
export function followConsumer(
  deps: () => { provisioner: ProvisionerDependencies } & Pick<ConsumerDependencies, 'logger' | 'metrics'>,
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const d = deps();
    try {
      const failed = await concurrently(event.Records, (r) => one(d, r));
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    } finally {
      d.metrics.flush();
    }
  };
}

/** true: done; false: failed (counted, logged, left for a retry or the DLQ). */
async function one(
  deps: { provisioner: ProvisionerDependencies } & Pick<ConsumerDependencies, 'logger' | 'metrics'>,
  record: SQSRecord,
): Promise<boolean> {
  let logger: Logger = deps.logger.createChild({
    persistentKeys: { consumer: CONSUMER, messageId: record.messageId },
  });
  try {
    const followUp = FollowUpMessage.parse(parseBody(record.body));
    logger = logger.createChild({
      persistentKeys: {
        correlationId: followUp.correlationId,
        instanceId: followUp.instanceId,
        runId: followUp.runId,
        attempt: followUp.attempt,
      },
    });
    await followRun(deps.provisioner, followUp, logger);
    return true;
  } catch (error) {
    logRefusal(logger, error);
    recordFailure(deps, CONSUMER, logger, error, {
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    return false;
  }
}
