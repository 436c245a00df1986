import { inject } from 'vitest';
import { documentClient } from '../src/adapters/dynamodb/client.js';
import { type LogicalTableId, tableName } from '../src/infra/create-tables.js';

export const TEST_STAGE = 'test';

/** A document client on the suite's DynamoDB Local (started by test/global-setup.ts). */
export function testDocumentClient() {
  return documentClient({ region: 'af-south-1', endpoint: inject('dynamoEndpoint') });
}

export const testTable = (id: LogicalTableId): string => tableName(id, TEST_STAGE);
