process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import type { TestProject } from 'vitest/node';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { createTables } from '#src/platform/infra/create-tables.js';
import { type RunningDynamoDb, startDynamoDbLocal } from '#src/platform/local/dynamodb-local.js';

export const TEST_STAGE = 'test';

let dynamo: RunningDynamoDb | undefined;

/** One DynamoDB Local for the whole run, tables created first (late stream tables are slow, see toolchain.md). */
export async function setup(project: TestProject): Promise<void> {
  dynamo = await startDynamoDbLocal();
  const client = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  await createTables(client, TEST_STAGE);
  client.destroy();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
