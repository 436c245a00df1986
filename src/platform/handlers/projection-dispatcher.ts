import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { catalogue } from '#src/contexts/catalogue.js';
import { decodeEventRecords } from '#src/platform/event-store/dynamodb/stream-records.js';
import { wiring } from '#src/platform/wiring.js';

/** Event table stream consumer 1 of 2: runs every projection (and a shadow being rebuilt). */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const { dispatcher, metrics } = wiring();
  const failed = await dispatcher.handle(decodeEventRecords(event.Records, catalogue));
  metrics.flush();
  return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
};
