import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { catalogue } from '#src/contexts/catalogue.js';
import { decodeEventRecords } from '#src/platform/event-store/dynamodb/stream-records.js';
import { toBusEntry } from '#src/platform/publishing/integration-events.js';
import { PublishError, publish } from '#src/platform/publishing/publisher.js';
import { wiring } from '#src/platform/wiring.js';

/**
 * Event table stream consumer 2 of 2: publishes every event to EventBridge, in record order. A record whose
 * entries keep failing is reported with everything after it, so nothing is lost (at least once).
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const { bus, busName, logger } = wiring();
  for (const record of decodeEventRecords(event.Records, catalogue)) {
    try {
      await publish(
        bus,
        record.events.map((e) => toBusEntry(catalogue, busName, e)),
      );
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      logger.warn('publish failed; the record will be redelivered', {
        sequenceNumber: record.sequenceNumber,
        error,
      });
      return { batchItemFailures: [{ itemIdentifier: record.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
};
