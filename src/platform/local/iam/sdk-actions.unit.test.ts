import { describe, expect, it } from 'vitest';
import { LOCAL_SECRET_SUFFIX, requestsOf, type SdkContext, UnmappedCommandError } from './sdk-actions.js';

const ctx: SdkContext = { region: 'af-south-1', account: '123456789012' };
const A = 'af-south-1:123456789012';
const table = (name: string) => `arn:aws:dynamodb:${A}:table/${name}`;
const pairs = (service: string, command: string, input: Record<string, unknown>, context: SdkContext = ctx) =>
  requestsOf(service, command, input, context).map((r) => [r.action, r.resource]);

describe('DynamoDB', () => {
  it.each([
    'GetItem',
    'PutItem',
    'UpdateItem',
    'DeleteItem',
    'DescribeTable',
    'CreateTable',
    'UpdateTimeToLive',
  ])('%s needs dynamodb:%s on the table', (command) => {
    expect(pairs('DynamoDBClient', `${command}Command`, { TableName: 'events' })).toEqual([
      [`dynamodb:${command}`, table('events')],
    ]);
  });

  it('accepts the service id or the client name, with or without the Command suffix', () => {
    for (const service of ['DynamoDB', 'DynamoDBClient', 'dynamodb']) {
      for (const command of ['PutItem', 'PutItemCommand']) {
        expect(pairs(service, command, { TableName: 'events' })).toEqual([
          ['dynamodb:PutItem', table('events')],
        ]);
      }
    }
  });

  it('uses table/<t>/index/<i> for Query and Scan on an index', () => {
    expect(pairs('DynamoDB', 'Query', { TableName: 'tenants', IndexName: 'byOrg' })).toEqual([
      ['dynamodb:Query', `${table('tenants')}/index/byOrg`],
    ]);
    expect(pairs('DynamoDB', 'Scan', { TableName: 'tenants' })).toEqual([
      ['dynamodb:Scan', table('tenants')],
    ]);
    expect(pairs('DynamoDB', 'Scan', { TableName: 'tenants', IndexName: 'byOrg' })).toEqual([
      ['dynamodb:Scan', `${table('tenants')}/index/byOrg`],
    ]);
  });

  it('checks batch operations once per table', () => {
    const RequestItems = { a: [{ PutRequest: {} }, { DeleteRequest: {} }], b: [{ PutRequest: {} }] };
    expect(pairs('DynamoDB', 'BatchWriteItem', { RequestItems })).toEqual([
      ['dynamodb:BatchWriteItem', table('a')],
      ['dynamodb:BatchWriteItem', table('b')],
    ]);
    expect(pairs('DynamoDB', 'BatchGetItem', { RequestItems: { a: { Keys: [] } } })).toEqual([
      ['dynamodb:BatchGetItem', table('a')],
    ]);
  });

  it('checks each TransactWriteItems item as the single-item action on its table', () => {
    const TransactItems = [
      { Put: { TableName: 'events', Item: {} } },
      { Update: { TableName: 'tenants', Key: {} } },
      { Delete: { TableName: 'parked', Key: {} } },
      { ConditionCheck: { TableName: 'registry', Key: {} } },
      { Put: { TableName: 'events', Item: {} } },
    ];
    expect(pairs('DynamoDB', 'TransactWriteItems', { TransactItems })).toEqual([
      ['dynamodb:PutItem', table('events')],
      ['dynamodb:UpdateItem', table('tenants')],
      ['dynamodb:DeleteItem', table('parked')],
      ['dynamodb:ConditionCheckItem', table('registry')],
    ]);
    expect(
      pairs('DynamoDB', 'TransactGetItems', {
        TransactItems: [{ Get: { TableName: 'a' } }, { Get: { TableName: 'b' } }],
      }),
    ).toEqual([
      ['dynamodb:GetItem', table('a')],
      ['dynamodb:GetItem', table('b')],
    ]);
  });

  it('needs * for ListTables, and rebuilds table ARNs in the configured region and account', () => {
    expect(pairs('DynamoDB', 'ListTables', {})).toEqual([['dynamodb:ListTables', '*']]);
    expect(
      pairs('DynamoDB', 'GetItem', { TableName: 'arn:aws:dynamodb:ddblocal:000000000000:table/events' }),
    ).toEqual([['dynamodb:GetItem', table('events')]]);
  });

  it('refuses an input it cannot read', () => {
    expect(() => requestsOf('DynamoDB', 'PutItem', {}, ctx)).toThrow(/input.TableName/);
    expect(() => requestsOf('DynamoDB', 'BatchWriteItem', {}, ctx)).toThrow(/RequestItems/);
  });
});

describe('DynamoDB Streams', () => {
  const local = 'arn:aws:dynamodb:ddblocal:000000000000:table/events/stream/2026-11-28T21:22:04.192';
  const stream = `arn:aws:dynamodb:${A}:table/events/stream/2026-11-28T21:22:04.192`;

  it('checks stream ARNs, rebuilt in the configured region and account', () => {
    expect(pairs('DynamoDBStreamsClient', 'DescribeStreamCommand', { StreamArn: local })).toEqual([
      ['dynamodb:DescribeStream', stream],
    ]);
    expect(pairs('DynamoDB Streams', 'GetShardIterator', { StreamArn: local, ShardId: 's' })).toEqual([
      ['dynamodb:GetShardIterator', stream],
    ]);
  });

  it('reads the stream ARN at the start of a shard iterator for GetRecords', () => {
    expect(pairs('DynamoDBStreamsClient', 'GetRecords', { ShardIterator: `${local}|001|c2hhcmQ=` })).toEqual([
      ['dynamodb:GetRecords', stream],
    ]);
    expect(() => requestsOf('DynamoDBStreamsClient', 'GetRecords', { ShardIterator: 'opaque' }, ctx)).toThrow(
      /stream ARN/,
    );
  });

  it('needs * for ListStreams (no resource type in the Service Authorization Reference)', () => {
    expect(pairs('DynamoDBStreamsClient', 'ListStreams', { TableName: 'events' })).toEqual([
      ['dynamodb:ListStreams', '*'],
    ]);
  });
});

describe('EventBridge', () => {
  it('checks PutEvents once per distinct bus, by name or ARN, the default bus when none is named', () => {
    const other = 'arn:aws:events:eu-west-1:999999999999:event-bus/partner';
    const Entries = [
      { EventBusName: 'bbws-events' },
      {},
      { EventBusName: other },
      { EventBusName: 'bbws-events' },
    ];
    expect(pairs('EventBridgeClient', 'PutEventsCommand', { Entries })).toEqual([
      ['events:PutEvents', `arn:aws:events:${A}:event-bus/bbws-events`],
      ['events:PutEvents', `arn:aws:events:${A}:event-bus/default`],
      ['events:PutEvents', other],
    ]);
  });
});

describe('SQS', () => {
  const url = 'http://127.0.0.1:9324/000000000000/bbws-stream-failures';
  const queue = `arn:aws:sqs:${A}:bbws-stream-failures`;

  it.each([
    ['SendMessage', 'sqs:SendMessage'],
    ['SendMessageBatch', 'sqs:SendMessage'],
    ['ReceiveMessage', 'sqs:ReceiveMessage'],
    ['DeleteMessage', 'sqs:DeleteMessage'],
    ['DeleteMessageBatch', 'sqs:DeleteMessage'],
    ['ChangeMessageVisibility', 'sqs:ChangeMessageVisibility'],
    ['ChangeMessageVisibilityBatch', 'sqs:ChangeMessageVisibility'],
    ['GetQueueAttributes', 'sqs:GetQueueAttributes'],
  ])('%s needs %s on the queue named by the QueueUrl', (command, action) => {
    expect(pairs('SQSClient', command, { QueueUrl: url })).toEqual([[action, queue]]);
    expect(
      pairs('SQS', command, {
        QueueUrl: `https://sqs.af-south-1.amazonaws.com/123456789012/bbws-stream-failures`,
      }),
    ).toEqual([[action, queue]]);
  });

  it('checks GetQueueUrl on the named queue, in the owner account when given', () => {
    expect(pairs('SQS', 'GetQueueUrl', { QueueName: 'q' })).toEqual([
      ['sqs:GetQueueUrl', `arn:aws:sqs:${A}:q`],
    ]);
    expect(pairs('SQS', 'GetQueueUrl', { QueueName: 'q', QueueOwnerAWSAccountId: '999999999999' })).toEqual([
      ['sqs:GetQueueUrl', 'arn:aws:sqs:af-south-1:999999999999:q'],
    ]);
  });
});

describe('Cognito user pools', () => {
  it.each([
    'AdminGetUser',
    'AdminUpdateUserAttributes',
    'AdminDeleteUserAttributes',
    'AdminDeleteUser',
    'AdminDisableUser',
    'ListUsers',
    'AdminAddUserToGroup',
    'AdminRemoveUserFromGroup',
  ])('%s needs cognito-idp:%s on the user pool', (command) => {
    expect(
      pairs('CognitoIdentityProviderClient', `${command}Command`, {
        UserPoolId: 'af-south-1_AbC',
        Username: 'u',
      }),
    ).toEqual([[`cognito-idp:${command}`, `arn:aws:cognito-idp:${A}:userpool/af-south-1_AbC`]]);
  });
});

describe('KMS', () => {
  const key = `arn:aws:kms:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

  it.each(['Encrypt', 'GenerateDataKey', 'Decrypt'])('%s needs kms:%s on the key ARN', (command) => {
    expect(pairs('KMSClient', command, { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })).toEqual([
      [`kms:${command}`, key],
    ]);
    expect(pairs('KMS', command, { KeyId: key })).toEqual([[`kms:${command}`, key]]);
  });

  it('checks a request naming an alias against the key it points to, with kms:RequestAlias', () => {
    const aliases = {
      ...ctx,
      kmsAliases: { 'alias/tenant-secrets': '1234abcd-12ab-34cd-56ef-1234567890ab' },
    };
    for (const KeyId of ['alias/tenant-secrets', `arn:aws:kms:${A}:alias/tenant-secrets`]) {
      expect(requestsOf('KMSClient', 'GenerateDataKey', { KeyId }, aliases)).toEqual([
        {
          action: 'kms:GenerateDataKey',
          resource: key,
          context: { 'kms:RequestAlias': 'alias/tenant-secrets' },
        },
      ]);
    }
    expect(() => requestsOf('KMSClient', 'Encrypt', { KeyId: 'alias/unknown' }, ctx)).toThrow(/kmsAliases/);
  });

  it('needs the key of a ciphertext for Decrypt without KeyId', () => {
    expect(() => requestsOf('KMS', 'Decrypt', { CiphertextBlob: new Uint8Array([1]) }, ctx)).toThrow(/KeyId/);
    const withLookup = { ...ctx, kmsKeyOfCiphertext: () => key };
    expect(pairs('KMS', 'Decrypt', { CiphertextBlob: new Uint8Array([1]) }, withLookup)).toEqual([
      ['kms:Decrypt', key],
    ]);
  });
});

describe('Secrets Manager', () => {
  it('checks the secret ARN; a name gets the six-character suffix every secret ARN has', () => {
    const byName = `arn:aws:secretsmanager:${A}:secret:tenant/db-${LOCAL_SECRET_SUFFIX}`;
    expect(LOCAL_SECRET_SUFFIX).toHaveLength(6);
    expect(pairs('SecretsManagerClient', 'GetSecretValue', { SecretId: 'tenant/db' })).toEqual([
      ['secretsmanager:GetSecretValue', byName],
    ]);
    expect(pairs('SecretsManager', 'PutSecretValue', { SecretId: 'tenant/db' })).toEqual([
      ['secretsmanager:PutSecretValue', byName],
    ]);
    expect(pairs('Secrets Manager', 'CreateSecret', { Name: 'tenant/db' })).toEqual([
      ['secretsmanager:CreateSecret', byName],
    ]);
    const arn = `arn:aws:secretsmanager:${A}:secret:tenant/db-Xy12Zq`;
    expect(pairs('SecretsManagerClient', 'GetSecretValue', { SecretId: arn })).toEqual([
      ['secretsmanager:GetSecretValue', arn],
    ]);
  });
});

describe('ECS', () => {
  const cluster = `arn:aws:ecs:${A}:cluster/tenants`;
  const service = `arn:aws:ecs:${A}:service/tenants/wp-acme`;

  it('checks service ARNs with ecs:cluster in the context', () => {
    for (const [command, key] of [
      ['UpdateService', 'service'],
      ['DeleteService', 'service'],
      ['CreateService', 'serviceName'],
    ] as const) {
      expect(requestsOf('ECSClient', command, { cluster: 'tenants', [key]: 'wp-acme' }, ctx)).toEqual([
        { action: `ecs:${command}`, resource: service, context: { 'ecs:cluster': cluster } },
      ]);
    }
    expect(
      pairs('ECS', 'DescribeServices', {
        cluster,
        services: ['wp-acme', `arn:aws:ecs:${A}:service/tenants/wp-b`],
      }),
    ).toEqual([
      ['ecs:DescribeServices', service],
      ['ecs:DescribeServices', `arn:aws:ecs:${A}:service/tenants/wp-b`],
    ]);
    expect(requestsOf('ECS', 'ListServices', { cluster: 'tenants' }, ctx)).toEqual([
      { action: 'ecs:ListServices', resource: '*', context: { 'ecs:cluster': cluster } },
    ]);
    expect(pairs('ECS', 'UpdateService', { service: 'wp' })).toEqual([
      ['ecs:UpdateService', `arn:aws:ecs:${A}:service/default/wp`],
    ]);
  });

  it('adds ecs:TagResource for tags and iam:PassRole for a role on CreateService', () => {
    const input = {
      cluster: 'tenants',
      serviceName: 'wp-acme',
      tags: [{ key: 'tenant', value: 'acme' }],
      role: 'ecs-lb',
    };
    expect(pairs('ECS', 'CreateService', input)).toEqual([
      ['ecs:CreateService', service],
      ['ecs:TagResource', service],
      ['iam:PassRole', 'arn:aws:iam::123456789012:role/ecs-lb'],
    ]);
  });
});

describe('Application Auto Scaling', () => {
  const input = {
    ServiceNamespace: 'ecs',
    ResourceId: 'service/tenants/wp-acme',
    ScalableDimension: 'ecs:service:DesiredCount',
  };

  it('checks RegisterScalableTarget on a scalable-target ARN, DescribeScalableTargets on *', () => {
    const [register, ...rest] = requestsOf(
      'ApplicationAutoScalingClient',
      'RegisterScalableTarget',
      input,
      ctx,
    );
    expect(rest).toEqual([]);
    expect(register?.action).toBe('application-autoscaling:RegisterScalableTarget');
    expect(register?.resource).toMatch(
      new RegExp(`^arn:aws:application-autoscaling:${A}:scalable-target/[0-9a-f]{36}$`),
    );
    // Application Auto Scaling defines no condition keys of its own: none is put on the request
    expect(register?.context ?? {}).toEqual({});
    expect(requestsOf('Application Auto Scaling', 'RegisterScalableTarget', input, ctx)[0]?.resource).toBe(
      register?.resource,
    );
    expect(pairs('ApplicationAutoScaling', 'DescribeScalableTargets', { ServiceNamespace: 'ecs' })).toEqual([
      ['application-autoscaling:DescribeScalableTargets', '*'],
    ]);
  });

  it('adds iam:PassRole for a RoleARN and TagResource for Tags', () => {
    const role = 'arn:aws:iam::123456789012:role/aas';
    const actions = requestsOf(
      'ApplicationAutoScaling',
      'RegisterScalableTarget',
      { ...input, RoleARN: role, Tags: { a: 'b' } },
      ctx,
    );
    expect(actions.map((r) => r.action)).toEqual([
      'application-autoscaling:RegisterScalableTarget',
      'application-autoscaling:TagResource',
      'iam:PassRole',
    ]);
    expect(actions[2]?.resource).toBe(role);
  });
});

describe('STS and unknown commands', () => {
  it('checks AssumeRole on the role ARN', () => {
    expect(
      pairs('STSClient', 'AssumeRoleCommand', {
        RoleArn: 'arn:aws:iam::123456789012:role/deployer',
        RoleSessionName: 's',
      }),
    ).toEqual([['sts:AssumeRole', 'arn:aws:iam::123456789012:role/deployer']]);
  });

  it('throws, naming the command, for anything not mapped', () => {
    expect(() => requestsOf('DynamoDBClient', 'DescribeLimitsCommand', {}, ctx)).toThrow(
      UnmappedCommandError,
    );
    expect(() => requestsOf('DynamoDBClient', 'DescribeLimitsCommand', {}, ctx)).toThrow(
      /DynamoDBClient DescribeLimitsCommand/,
    );
    expect(() => requestsOf('S3Client', 'GetObjectCommand', {}, ctx)).toThrow(/S3Client GetObjectCommand/);
    expect(() => requestsOf('DynamoDBClient', 'constructor', {}, ctx)).toThrow(UnmappedCommandError);
    expect(() => requestsOf('DynamoDBClient', 'toString', {}, ctx)).toThrow(UnmappedCommandError);
  });
});
