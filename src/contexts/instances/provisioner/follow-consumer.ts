import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { FollowUpMessage, followRun } from './follow.js';
import type { ProvisionerDependencies } from './provisioner.js';
import { logRefusal } from './steps.js';

/**
 * The follow-up queue's entry point: each message is one poll of a run (follow.ts). Messages are independent:
 * each failure is reported alone (ReportBatchItemFailures) and retried after the visibility timeout; a body that
 * is not a follow-up can never succeed and is reported too, so it ends in the DLQ rather than vanishing.
 */
export function followConsumer(deps: () => { provisioner: ProvisionerDependencies; logger: Logger }) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { provisioner, logger } = deps();
    const failed = await Promise.all(event.Records.map((r) => one(provisioner, logger, r)));
    return {
      batchItemFailures: event.Records.filter((_, i) => failed[i]).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
}

async function one(deps: ProvisionerDependencies, base: Logger, record: SQSRecord): Promise<boolean> {
  let logger = base.createChild({
    persistentKeys: { consumer: 'provisionerFollow', messageId: record.messageId },
  });
  try {
    const followUp = FollowUpMessage.parse(JSON.parse(record.body));
    logger = logger.createChild({
      persistentKeys: {
        correlationId: followUp.correlationId,
        instanceId: followUp.instanceId,
        runId: followUp.runId,
        attempt: followUp.attempt,
      },
    });
    await followRun(deps, followUp, logger);
    return false;
  } catch (error) {
    logRefusal(logger, error);
    logger.error('follow-up failed', {
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    return true;
  }
}
