import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface DynamoConnection {
  region: string;
  /** DynamoDB Local's address; absent in AWS. */
  endpoint?: string | undefined;
}

export function dynamoClient({ region, endpoint }: DynamoConnection): DynamoDBClient {
  if (!endpoint) return new DynamoDBClient({ region });
  return new DynamoDBClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
}

export function documentClient(connection: DynamoConnection): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(connection), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
