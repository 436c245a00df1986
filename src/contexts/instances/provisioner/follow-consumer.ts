import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ConsumerDependencies, recordFailure } from '#src/platform/consumers/consumer.js';
import type { ConsumerLedger } from '#src/platform/consumers/ledger.js';
import { concurrently, parseBody } from '#src/platform/consumers/sqs-consumer.js';
import { FollowUpMessage, followRun } from './follow.js';
import type { FollowUp } from './ports.js';
import type { ProvisionerDependencies } from './provisioner.js';
import { logRefusal } from './steps.js';

const CONSUMER = 'provisionerFollow';
/** Longer than the function's 30 s timeout: a claim outlives only an invocation that crashed. */
const LEASE_MS = 60_000;

type FollowDependencies = { provisioner: ProvisionerDependencies; ledger: ConsumerLedger } & Pick<
  ConsumerDependencies,
  'logger' | 'metrics'
>;

/**
 * One poll per (instance, change, run, attempt): SQS delivers a message at least once, and a provisioner message
 * handled again schedules attempt 0 again, so the same poll can arrive twice; each would schedule the next poll, and
 * the chains would multiply. The ledger keeps the poll done, so its duplicate is dropped.
 */
export const pollKey = (f: FollowUp): string => `${f.instanceId}:${f.change}:${f.runId}:${f.attempt}`;

/**
 * The follow-up queue's entry point: each message is one poll of a run (follow.ts). Messages are independent:
 * each failure is counted (ConsumerFailures), logged and reported alone (ReportBatchItemFailures), retried after
 * the visibility timeout; a body that is not a follow-up can never succeed and is reported too, so it ends in the
 * DLQ rather than vanishing. A duplicate that arrives while its poll is still being handled elsewhere ('busy') is
 * reported for a retry too, but is no failure: logged at INFO and counted as ConsumerBusy, as the consumer kit does
 * (an alarm on ConsumerFailures or on ERROR lines must not fire for SQS's at-least-once delivery). Its retry finds the poll done (dropped) or given back.
 */
export function followConsumer(deps: () => FollowDependencies) {
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

/**
 * true: done; false: left for a retry (or the DLQ after its receives): failed (counted, logged at ERROR), or busy
 * (logged at INFO only).
 */
async function one(deps: FollowDependencies, record: SQSRecord): Promise<boolean> {
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
    const key = pollKey(followUp);
    const claim = await deps.ledger.claim(CONSUMER, key, LEASE_MS);
    if (claim === 'done') {
      logger.info('duplicate follow-up skipped');
      deps.metrics.count('ConsumerDuplicates', 1, { consumer: CONSUMER });
      return true;
    }
    if (claim === 'busy') {
      logger.info('follow-up busy: retried later', { poll: key });
      deps.metrics.count('ConsumerBusy', 1, { consumer: CONSUMER });
      return false;
    }
    try {
      await followRun(deps.provisioner, followUp, logger);
    } catch (error) {
      await deps.ledger.release(CONSUMER, key).catch(() => {});
      throw error;
    }
    await deps.ledger.complete(CONSUMER, key);
    return true;
  } catch (error) {
    logRefusal(logger, error);
    recordFailure(deps, CONSUMER, logger, error, {
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    return false;
  }
}
