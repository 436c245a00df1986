import { dynamoClient } from '../adapters/dynamodb/client.js';
import { createTables } from '../infra/create-tables.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';

export interface LocalRuntimeOptions {
  stage: string;
  /** DynamoDB Local's port; a free one when absent. */
  dynamoPort?: number;
}

export interface RunningRuntime {
  stage: string;
  dynamoEndpoint: string;
  /** Lines saying what runs where. */
  describe(): string[];
  stop(): Promise<void>;
}

/** The whole system on this machine: DynamoDB Local with every table, and (as they arrive) the stand-ins. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<RunningRuntime> {
  const dynamo: RunningDynamoDb = await startDynamoDbLocal(
    options.dynamoPort === undefined ? {} : { port: options.dynamoPort },
  );
  const client = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  try {
    const created = await createTables(client, options.stage);
    return {
      stage: options.stage,
      dynamoEndpoint: dynamo.endpoint,
      describe: () => [
        `DynamoDB Local   ${dynamo.endpoint}  (in memory; stage "${options.stage}")`,
        ...created.map((table) => `  table          ${table}`),
      ],
      stop: async () => {
        client.destroy();
        await dynamo.stop();
      },
    };
  } catch (error) {
    client.destroy();
    await dynamo.stop();
    throw error;
  }
}
