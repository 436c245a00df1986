import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { catalogue } from '#src/contexts/catalogue.js';
import { decodeEventRecords } from '#src/platform/event-store/dynamodb/stream-records.js';
import { consumedRecords, deadlineOf } from '#src/platform/projection-runtime/consumed-records.js';
import { dispatcher, eventStore, metrics } from '#src/platform/wiring.js';

/**
 * Event table stream consumer 1 of 2: runs every projection (and a shadow being rebuilt). What keeps failing
 * is parked before Lambda could give up (docs/operations.md); the first record still to do is reported.
 */
export const handler = async (
  event: DynamoDBStreamEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<DynamoDBBatchResponse> => {
  // Stops before Lambda's timeout whatever a dependency does (consumed-records.ts, deadlineOf).
  const deadline = deadlineOf(context.getRemainingTimeInMillis());
  const failed = await dispatcher().handle(
    await consumedRecords(event.Records, (records) =>
      decodeEventRecords(records, catalogue, eventStore().keys),
    ),
    { deadline },
  );
  metrics().flush();
  return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
};
