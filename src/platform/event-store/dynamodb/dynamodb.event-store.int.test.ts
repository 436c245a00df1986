import { catalogue } from '#src/contexts/catalogue.js';
import { eventStoreContract } from '#src/platform/event-store/event-store.contract.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { DynamoEventStore } from './dynamodb.event-store.js';

const client = testDocumentClient();
const table = testTable('EventStoreTable');

eventStoreContract('DynamoDB Local', () => ({
  store: (options = {}) =>
    new DynamoEventStore(
      client,
      table,
      options.catalogue ?? catalogue,
      options.now ? { now: options.now } : {},
    ),
}));
