import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  type Consumer,
  type ConsumerDependencies,
  consumeOne,
  type EventSchemas,
  eventLogger,
  parseEvent,
  recordFailure,
} from './consumer.js';

const DEFAULT_LEASE_MS = 60_000;

/**
 * The Lambda entry point of an SQS-triggered consumer (the queue is a rule's target: each message body is one
 * EventBridge event). Answers with `batchItemFailures`, the mapping's ReportBatchItemFailures:
 * - a FIFO queue: records in order; a failure stops its message group — it and every later record of that
 *   group are reported (AWS's rule for FIFO), other groups go on;
 * - a standard queue: records concurrently, each failure reported alone.
 * `deps` is built on first use, not at import.
 */
export function sqsConsumer<S extends EventSchemas>(consumer: Consumer<S>, deps: () => ConsumerDependencies) {
  return async (
    event: SQSEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SQSBatchResponse> => {
    const d = deps();
    const leaseMs = context?.getRemainingTimeInMillis() ?? DEFAULT_LEASE_MS;
    const one = (record: SQSRecord) => consumeRecord(consumer, d, record, leaseMs);
    try {
      const failed = isFifo(event.Records)
        ? await inGroupOrder(event.Records, one)
        : await concurrently(event.Records, one);
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    } finally {
      d.metrics.flush();
    }
  };
}

const isFifo = (records: readonly SQSRecord[]) =>
  records.some((r) => r.attributes.MessageGroupId !== undefined || r.eventSourceARN.endsWith('.fifo'));

async function inGroupOrder(records: readonly SQSRecord[], one: (r: SQSRecord) => Promise<boolean>) {
  const stopped = new Set<string>();
  const failed: SQSRecord[] = [];
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? '';
    if (stopped.has(group) || !(await one(record))) {
      stopped.add(group);
      failed.push(record);
    }
  }
  return failed;
}

/** The records that failed, each handled concurrently (a standard queue: each failure reported alone). */
export async function concurrently(records: readonly SQSRecord[], one: (r: SQSRecord) => Promise<boolean>) {
  const ok = await Promise.all(records.map(one));
  return records.filter((_, i) => !ok[i]);
}

/** true: handled or a duplicate (delete it); false: failed (counted, logged, left for a retry or the DLQ). */
async function consumeRecord<S extends EventSchemas>(
  consumer: Consumer<S>,
  deps: ConsumerDependencies,
  record: SQSRecord,
  leaseMs: number,
): Promise<boolean> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  let logger: Logger = deps.logger.createChild({
    persistentKeys: { consumer: consumer.name, messageId: record.messageId },
  });
  try {
    const event = await parseEvent(consumer, deps, parseBody(record.body));
    logger = eventLogger(deps.logger, consumer.name, event, record.messageId);
    await consumeOne(consumer, deps, event, logger, leaseMs);
    return true;
  } catch (error) {
    recordFailure(deps, consumer.name, logger, error, { receiveCount });
    return false;
  }
}

/** A message body as JSON; a body that is not JSON becomes a value no schema accepts, naming the parse error. */
export function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    return { notJson: true, error: String(error) };
  }
}
