import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { decodeEventRecords } from '../adapters/dynamodb/stream-records.js';
import { catalogue } from '../domain/catalogue.js';
import { wiring } from './wiring.js';

/** Event table stream consumer 1 of 2: runs every projection (and a shadow being rebuilt). */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const { dispatcher, metrics } = wiring();
  const failed = await dispatcher.handle(decodeEventRecords(event.Records, catalogue));
  metrics.flush();
  return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
};
