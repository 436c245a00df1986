import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requestHandler, type Timeouts } from './http-timeouts.js';

export interface DynamoConnection {
  region: string;
  /** DynamoDB Local's address; absent in AWS. */
  endpoint?: string | undefined;
  /** Tests: other timeouts than the service's (http-timeouts.ts). */
  timeouts?: Partial<Timeouts>;
}

/** A DynamoDB client with the service's timeouts (a table that does not answer fails as a TimeoutError). */
export function dynamoClient({ region, endpoint, timeouts }: DynamoConnection): DynamoDBClient {
  if (!endpoint)
    return new DynamoDBClient({
      region,
      requestHandler: requestHandler('dynamodb', timeouts ? { timeouts } : {}),
    });
  return new DynamoDBClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: requestHandler('dynamodb', {
      local: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      ...(timeouts ? { timeouts } : {}),
    }),
  });
}

export function documentClient(connection: DynamoConnection): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(connection), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
