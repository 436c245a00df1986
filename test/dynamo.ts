import { inject } from 'vitest';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { tableName } from '#src/platform/infra/create-tables.js';

export const TEST_STAGE = 'test';

/** A document client on the suite's DynamoDB Local (started by test/global-setup.ts). */
export function testDocumentClient() {
  return documentClient({ region: 'af-south-1', endpoint: inject('dynamoEndpoint') });
}

export const testTable = (id: string): string => tableName(id, TEST_STAGE);
