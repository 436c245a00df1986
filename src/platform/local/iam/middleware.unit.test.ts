import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  AccessDeniedException,
  commandChecker,
  enforceIam,
  type IamDecision,
  type IamIdentity,
} from './middleware.js';
import type { PolicyDocument } from './policy.js';
import { UnmappedCommandError } from './sdk-actions.js';

const A = 'af-south-1:123456789012';
const identity: IamIdentity = {
  region: 'af-south-1',
  account: '123456789012',
  roleName: 'bbws-dev-af-south-1-lambdaRole',
  functionName: 'bbws-dev-tenantApi',
};
const PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/bbws-dev-af-south-1-lambdaRole/bbws-dev-tenantApi';

/** Nothing listens on port 9: an allowed request fails with a connection error, a denied one never gets there. */
const config = {
  region: 'af-south-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
};

const policies: PolicyDocument[] = [
  {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: [`arn:aws:dynamodb:${A}:table/events`, `arn:aws:dynamodb:${A}:table/tenants/index/*`],
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetRecords',
        Resource: `arn:aws:dynamodb:${A}:table/events/stream/*`,
      },
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:${A}:event-bus/bbws-events` },
      {
        Sid: 'NoGdprTable',
        Effect: 'Deny',
        Action: 'dynamodb:*',
        Resource: `arn:aws:dynamodb:${A}:table/gdpr`,
      },
    ],
  },
];

interface Sent {
  count: number;
}

/** Counts requests that got past serialization (toward the network). */
function spy(client: { middlewareStack: { add: (...args: never[]) => void } }): Sent {
  const sent = { count: 0 };
  const add = client.middlewareStack.add as unknown as (
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'build'; name: string },
  ) => void;
  add(
    (next) => async (args) => {
      sent.count += 1;
      return next(args);
    },
    { step: 'build', name: 'testNetworkSpy' },
  );
  return sent;
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the request to fail');
}

function expectNetworkError(error: Error & { code?: string }): void {
  expect(error.name).not.toBe('AccessDeniedException');
  expect(`${error.code ?? ''} ${error.message}`).toMatch(/ECONNREFUSED/);
}

function expectDenied(error: Error, action: string, resource: string): void {
  expect(error).toBeInstanceOf(AccessDeniedException);
  expect(error.name).toBe('AccessDeniedException');
  expect(error.message).toBe(
    `User: ${PRINCIPAL} is not authorized to perform: ${action} on resource: ${resource} ` +
      `because no identity-based policy allows the ${action} action`,
  );
}

describe('enforceIam on a DynamoDBClient', () => {
  it('throws AccessDeniedException before any network call, and lets allowed calls through', async () => {
    const client = new DynamoDBClient(config);
    const decisions: IamDecision[] = [];
    enforceIam(client, policies, identity, (d) => decisions.push(d));
    const sent = spy(client);

    const denied = await failure(
      client.send(new PutItemCommand({ TableName: 'tenants', Item: { pk: { S: 'a' } } })),
    );
    expectDenied(denied, 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/tenants`);
    expect(sent.count).toBe(0);

    expectNetworkError(
      await failure(client.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'a' } } }))),
    );
    expect(sent.count).toBe(1);

    expect(decisions.map((d) => [d.functionName, d.action, d.resource, d.allowed])).toEqual([
      ['bbws-dev-tenantApi', 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/tenants`, false],
      ['bbws-dev-tenantApi', 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/events`, true],
    ]);
    expect(decisions[0]).toMatchObject({
      client: 'DynamoDBClient',
      command: 'PutItemCommand',
      principal: PRINCIPAL,
    });
    client.destroy();
  });

  it('reports an explicit deny as AWS does', async () => {
    const client = new DynamoDBClient(config);
    enforceIam(
      client,
      [...policies, { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
      identity,
    );
    const error = await failure(
      client.send(new GetItemCommand({ TableName: 'gdpr', Key: { pk: { S: 'a' } } })),
    );
    expect(error.message).toBe(
      `User: ${PRINCIPAL} is not authorized to perform: dynamodb:GetItem on resource: ` +
        `arn:aws:dynamodb:${A}:table/gdpr with an explicit deny in an identity-based policy`,
    );
    client.destroy();
  });

  it('also guards a DocumentClient built on it (they share one middleware stack)', async () => {
    const client = new DynamoDBClient(config);
    enforceIam(client, policies, identity);
    const documents = DynamoDBDocumentClient.from(client);
    const sent = spy(client);
    const denied = await failure(
      documents.send(new PutCommand({ TableName: 'tenants', Item: { pk: 'a', n: 1 } })),
    );
    expectDenied(denied, 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/tenants`);
    expect(sent.count).toBe(0);
    expectNetworkError(
      await failure(documents.send(new PutCommand({ TableName: 'events', Item: { pk: 'a' } }))),
    );
    expectNetworkError(
      await failure(
        documents.send(
          new QueryCommand({
            TableName: 'tenants',
            IndexName: 'byOrg',
            KeyConditionExpression: 'o = :o',
            ExpressionAttributeValues: { ':o': 'x' },
          }),
        ),
      ),
    );
    expect(sent.count).toBe(2);
    client.destroy();
  });

  it('checks every item of a transaction and reports the first denied one', async () => {
    const client = new DynamoDBClient(config);
    const decisions: IamDecision[] = [];
    enforceIam(client, policies, identity, (d) => decisions.push(d));
    const documents = DynamoDBDocumentClient.from(client);
    const transaction = new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: 'events', Item: { pk: 'e1' } } },
        {
          ConditionCheck: {
            TableName: 'events',
            Key: { pk: 'x' },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
      ],
    });
    const denied = await failure(documents.send(transaction));
    expectDenied(denied, 'dynamodb:ConditionCheckItem', `arn:aws:dynamodb:${A}:table/events`);
    expect(decisions.map((d) => [d.action, d.allowed])).toEqual([
      ['dynamodb:PutItem', true],
      ['dynamodb:ConditionCheckItem', false],
    ]);
    client.destroy();
  });
});

describe('enforceIam on a DocumentClient', () => {
  it('guards the document client and the client it wraps', async () => {
    const client = new DynamoDBClient(config);
    const documents = DynamoDBDocumentClient.from(client);
    enforceIam(documents, policies, identity);
    const denied = await failure(
      client.send(new PutItemCommand({ TableName: 'parked', Item: { pk: { S: 'a' } } })),
    );
    expectDenied(denied, 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/parked`);
    const viaDocuments = await failure(
      documents.send(new PutCommand({ TableName: 'parked', Item: { pk: 'a' } })),
    );
    expectDenied(viaDocuments, 'dynamodb:PutItem', `arn:aws:dynamodb:${A}:table/parked`);
    expectNetworkError(
      await failure(documents.send(new PutCommand({ TableName: 'events', Item: { pk: 'a' } }))),
    );
    client.destroy();
  });

  it('refuses to enforce a second function on the same stack, and can be removed', async () => {
    const client = new DynamoDBClient(config);
    const remove = enforceIam(client, policies, identity);
    expect(() =>
      enforceIam(DynamoDBDocumentClient.from(client), [], { ...identity, functionName: 'other' }),
    ).toThrow(/already enforces IAM policies/);
    remove();
    expectNetworkError(
      await failure(client.send(new PutItemCommand({ TableName: 'tenants', Item: { pk: { S: 'a' } } }))),
    );
    client.destroy();
  });
});

describe('enforceIam on other services', () => {
  it('guards SQS, EventBridge, Cognito and DynamoDB Streams clients', async () => {
    const sqs = new SQSClient(config);
    enforceIam(sqs, policies, identity);
    const queueUrl = 'http://127.0.0.1:9/000000000000/bbws-stream-failures-dev';
    expectDenied(
      await failure(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }))),
      'sqs:SendMessage',
      `arn:aws:sqs:${A}:bbws-stream-failures-dev`,
    );

    const events = new EventBridgeClient(config);
    enforceIam(events, policies, identity);
    const entry = { Source: 'bbws', DetailType: 'T', Detail: '{}' };
    expectNetworkError(
      await failure(
        events.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: 'bbws-events' }] })),
      ),
    );
    expectDenied(
      await failure(events.send(new PutEventsCommand({ Entries: [entry] }))),
      'events:PutEvents',
      `arn:aws:events:${A}:event-bus/default`,
    );

    const cognito = new CognitoIdentityProviderClient(config);
    enforceIam(cognito, policies, identity);
    expectDenied(
      await failure(cognito.send(new AdminGetUserCommand({ UserPoolId: 'af-south-1_Pool1', Username: 'u' }))),
      'cognito-idp:AdminGetUser',
      `arn:aws:cognito-idp:${A}:userpool/af-south-1_Pool1`,
    );

    const streams = new DynamoDBStreamsClient(config);
    enforceIam(streams, policies, identity);
    const iterator =
      'arn:aws:dynamodb:ddblocal:000000000000:table/events/stream/2026-11-28T21:22:04.192|001|abc';
    expectNetworkError(await failure(streams.send(new GetRecordsCommand({ ShardIterator: iterator }))));
    for (const client of [sqs, events, cognito, streams]) client.destroy();
  });

  it('refuses a command it has no mapping for', async () => {
    const events = new EventBridgeClient(config);
    enforceIam(events, policies, identity);
    const { ListRulesCommand } = await import('@aws-sdk/client-eventbridge');
    const error = await failure(events.send(new ListRulesCommand({})));
    expect(error).toBeInstanceOf(UnmappedCommandError);
    expect(error.message).toContain('EventBridgeClient ListRulesCommand');
    events.destroy();
  });
});

describe('commandChecker remembers decisions', () => {
  it('reports every decision, as often as it is made, the same as when first evaluated', () => {
    const seen: IamDecision[] = [];
    const check = commandChecker(policies, identity, (d) => seen.push(d));
    for (let i = 0; i < 3; i++) {
      check('DynamoDBClient', 'GetItemCommand', { TableName: 'events', Key: {} });
      expect(() => check('DynamoDBClient', 'GetItemCommand', { TableName: 'gdpr', Key: {} })).toThrow(
        AccessDeniedException,
      );
      expect(() => check('DynamoDBClient', 'DeleteItemCommand', { TableName: 'events', Key: {} })).toThrow(
        /no identity-based policy allows the dynamodb:DeleteItem action/,
      );
    }
    expect(seen).toHaveLength(9);
    const firsts = seen.slice(0, 3);
    for (let i = 3; i < 9; i++) expect(seen[i]).toEqual(firsts[i % 3]);
    expect(firsts.map((d) => [d.allowed, d.decidedBy])).toEqual([
      [true, 'allow'],
      [false, 'explicit-deny'],
      [false, 'implicit-deny'],
    ]);
  });

  it('tells requests apart by their condition keys (a KMS alias the request names)', () => {
    const kmsKey = `arn:aws:kms:${A}:key/k1`;
    const aliasPolicies: PolicyDocument[] = [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: kmsKey,
            Condition: { StringEquals: { 'kms:RequestAlias': 'alias/a' } },
          },
        ],
      },
    ];
    const kmsIdentity = { ...identity, kmsAliases: { 'alias/a': kmsKey, 'alias/b': kmsKey } };
    const check = commandChecker(aliasPolicies, kmsIdentity);
    for (let i = 0; i < 2; i++) {
      expect(() =>
        check('KMSClient', 'DecryptCommand', { KeyId: 'alias/a', CiphertextBlob: 'x' }),
      ).not.toThrow();
      expect(() => check('KMSClient', 'DecryptCommand', { KeyId: 'alias/b', CiphertextBlob: 'x' })).toThrow(
        AccessDeniedException,
      );
    }
  });
});
