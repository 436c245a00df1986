// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} here are Fn::Sub's syntax, not JavaScript's.
import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyDocument } from './policy.js';
import {
  policiesFromTemplate,
  resolveIntrinsics,
  type TemplateContext,
  TemplateResolutionError,
} from './template-policies.js';

const ctx: TemplateContext = {
  stage: 'dev',
  region: 'af-south-1',
  account: '123456789012',
  physicalIds: { UserPool: 'af-south-1_Pool1', DataKey: '1234abcd-12ab-34cd-56ef-1234567890ab' },
};
const A = 'af-south-1:123456789012';

/** A small template in the shape serverless v3 packages, with every intrinsic the resolver supports. */
function template(): Record<string, unknown> {
  return {
    Parameters: {
      Prefix: { Type: 'String', Default: 'bbws' },
      Stage: { Type: 'String' },
    },
    Mappings: { Retention: { dev: { days: '7' } } },
    Conditions: { IsDev: { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] } },
    Resources: {
      EventStoreTable: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: { 'Fn::Join': ['-', [{ Ref: 'Prefix' }, 'event-store', { Ref: 'Stage' }]] },
        },
      },
      TenantsTable: {
        Type: 'AWS::DynamoDB::Table',
        Properties: { TableName: { 'Fn::Sub': '${Prefix}-tenants-${Stage}' } },
      },
      FailuresQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'bbws-failures-dev' } },
      EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bbws-events-dev' } },
      UserPool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      DataKey: { Type: 'AWS::KMS::Key', Properties: {} },
      DbSecret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'bbws/db' } },
      ApiRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { 'Fn::Join': ['-', ['bbws', 'dev', { Ref: 'AWS::Region' }, 'lambdaRole']] },
          Path: '/',
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          Policies: [
            {
              PolicyName: 'api',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['dynamodb:PutItem', 'dynamodb:Query'],
                    Resource: [
                      { 'Fn::GetAtt': ['EventStoreTable', 'Arn'] },
                      { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['TenantsTable', 'Arn'] }, 'index/*']] },
                    ],
                  },
                  {
                    Effect: 'Allow',
                    Action: 'dynamodb:GetRecords',
                    Resource: { 'Fn::GetAtt': ['EventStoreTable', 'StreamArn'] },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'sqs:SendMessage',
                    Resource: { 'Fn::GetAtt': 'FailuresQueue.Arn' },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'events:PutEvents',
                    Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'cognito-idp:AdminGetUser',
                    Resource: { 'Fn::GetAtt': ['UserPool', 'Arn'] },
                  },
                  { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['DataKey', 'Arn'] } },
                  { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'DbSecret' } },
                  {
                    Effect: 'Allow',
                    Action: 'logs:PutLogEvents',
                    Resource: {
                      'Fn::Sub':
                        'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${Prefix}-${Stage}*:*:*',
                    },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'sqs:GetQueueAttributes',
                    Resource: {
                      'Fn::Sub': ['${Queue}', { Queue: { 'Fn::GetAtt': ['FailuresQueue', 'Arn'] } }],
                    },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'dynamodb:Scan',
                    Resource: {
                      'Fn::If': ['IsDev', { 'Fn::Sub': '${TenantsTable.Arn}' }, { Ref: 'AWS::NoValue' }],
                    },
                  },
                ],
              },
            },
          ],
        },
      },
      WorkerRole: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'bbws-worker', Path: '/service/' },
      },
      WorkerPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'worker',
          Roles: [{ Ref: 'WorkerRole' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sqs:ReceiveMessage',
                Resource: { 'Fn::GetAtt': ['FailuresQueue', 'Arn'] },
              },
            ],
          },
        },
      },
      OtherPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'other',
          Roles: ['someone-else'],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      },
      TenantApiLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { FunctionName: 'bbws-dev-tenantApi', Role: { 'Fn::GetAtt': ['ApiRole', 'Arn'] } },
      },
      WorkerLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { FunctionName: 'bbws-dev-worker', Role: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] } },
      },
    },
  };
}

/** The object at a path in a template (for mutating a copy in a test). */
function at(root: unknown, ...keys: (string | number)[]): Record<string, unknown> {
  return keys.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<
    string,
    unknown
  >;
}

function statement(t: unknown, index: number): Record<string, unknown> {
  return at(t, 'Resources', 'ApiRole', 'Properties', 'Policies', 0, 'PolicyDocument', 'Statement', index);
}

function statementResources(document: PolicyDocument | undefined): unknown[] {
  const statements = document?.Statement;
  return (Array.isArray(statements) ? statements : [statements]).map(
    (s: { Resource?: unknown }) => s.Resource,
  );
}

describe('policiesFromTemplate', () => {
  it('finds each function, its role and its policies, by logical id and by function name', () => {
    const result = policiesFromTemplate(template(), ctx);
    expect(Object.keys(result.byLogicalId).sort()).toEqual([
      'TenantApiLambdaFunction',
      'WorkerLambdaFunction',
    ]);
    const api = result.byFunctionName['bbws-dev-tenantApi'];
    expect(api).toBe(result.byLogicalId.TenantApiLambdaFunction);
    expect(api).toMatchObject({
      logicalId: 'TenantApiLambdaFunction',
      functionName: 'bbws-dev-tenantApi',
      roleLogicalId: 'ApiRole',
      roleName: 'bbws-dev-af-south-1-lambdaRole',
      roleArn: 'arn:aws:iam::123456789012:role/bbws-dev-af-south-1-lambdaRole',
      ignoredManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    });
    expect(api?.policies).toHaveLength(1);
    expect(api?.policies[0]?.Id).toBe('api');
  });

  it('resolves GetAtt, Join, Sub, Ref to parameters and pseudo parameters, If and NoValue', () => {
    const api = policiesFromTemplate(template(), ctx).byLogicalId.TenantApiLambdaFunction;
    expect(statementResources(api?.policies[0])).toEqual([
      [
        `arn:aws:dynamodb:${A}:table/bbws-event-store-dev`,
        `arn:aws:dynamodb:${A}:table/bbws-tenants-dev/index/*`,
      ],
      `arn:aws:dynamodb:${A}:table/bbws-event-store-dev/stream/*`,
      `arn:aws:sqs:${A}:bbws-failures-dev`,
      `arn:aws:events:${A}:event-bus/bbws-events-dev`,
      `arn:aws:cognito-idp:${A}:userpool/af-south-1_Pool1`,
      `arn:aws:kms:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      `arn:aws:secretsmanager:${A}:secret:bbws/db-??????`,
      `arn:aws:logs:${A}:log-group:/aws/lambda/bbws-dev*:*:*`,
      `arn:aws:sqs:${A}:bbws-failures-dev`,
      `arn:aws:dynamodb:${A}:table/bbws-tenants-dev`,
    ]);
  });

  it('produces documents the evaluator accepts', () => {
    const policies =
      policiesFromTemplate(template(), ctx).byLogicalId.TenantApiLambdaFunction?.policies ?? [];
    const stream = `arn:aws:dynamodb:${A}:table/bbws-event-store-dev/stream/2026-11-28T21:22:04.192`;
    expect(evaluate(policies, 'dynamodb:GetRecords', stream).allowed).toBe(true);
    expect(
      evaluate(policies, 'dynamodb:Query', `arn:aws:dynamodb:${A}:table/bbws-tenants-dev/index/byOrg`)
        .allowed,
    ).toBe(true);
    expect(evaluate(policies, 'dynamodb:Query', `arn:aws:dynamodb:${A}:table/bbws-tenants-dev`).allowed).toBe(
      false,
    );
    const secret = `arn:aws:secretsmanager:${A}:secret:bbws/db-LOCAL0`;
    expect(evaluate(policies, 'secretsmanager:GetSecretValue', secret).allowed).toBe(true);
  });

  it('includes AWS::IAM::Policy resources attached to the role, not those of other roles', () => {
    const worker = policiesFromTemplate(template(), ctx).byFunctionName['bbws-dev-worker'];
    expect(worker?.roleArn).toBe('arn:aws:iam::123456789012:role/service/bbws-worker');
    expect(worker?.policies.map((p) => p.Id)).toEqual(['worker']);
    expect(worker?.ignoredManagedPolicyArns).toEqual([]);
  });

  it('uses managed policy documents when given', () => {
    const basic: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] };
    const managedPolicies = { 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': basic };
    const api = policiesFromTemplate(template(), { ...ctx, managedPolicies }).byLogicalId
      .TenantApiLambdaFunction;
    expect(api?.policies).toContain(basic);
    expect(api?.ignoredManagedPolicyArns).toEqual([]);
  });

  it('resolves Ref to queues (URL), buses (name), tables and FindInMap/Select/Split', () => {
    const value = {
      url: { Ref: 'FailuresQueue' },
      bus: { Ref: 'EventBus' },
      table: { Ref: 'EventStoreTable' },
      days: { 'Fn::FindInMap': ['Retention', { Ref: 'Stage' }, 'days'] },
      region: { 'Fn::Select': [3, { 'Fn::Split': [':', { 'Fn::GetAtt': ['EventBus', 'Arn'] }] }] },
      escaped: { 'Fn::Sub': '${!Literal}-${AWS::URLSuffix}' },
    };
    expect(resolveIntrinsics(template(), ctx, value)).toEqual({
      url: 'https://sqs.af-south-1.amazonaws.com/123456789012/bbws-failures-dev',
      bus: 'bbws-events-dev',
      table: 'bbws-event-store-dev',
      days: '7',
      region: 'af-south-1',
      escaped: '${Literal}-amazonaws.com',
    });
  });

  it('throws naming the path for what it cannot resolve', () => {
    const expectFailure = (mutate: (t: Record<string, unknown>) => void, message: RegExp) => {
      const t = template();
      mutate(t);
      expect(() => policiesFromTemplate(t, ctx)).toThrow(TemplateResolutionError);
      expect(() => policiesFromTemplate(t, ctx)).toThrow(message);
    };
    expectFailure(
      (t) => delete at(t, 'Resources', 'EventStoreTable', 'Properties').TableName,
      /Resources\.ApiRole\.Properties\.Policies\[0\]\.PolicyDocument\.Statement\[0\]\.Resource\[0\]\.Fn::GetAtt: EventStoreTable has no TableName/,
    );
    expectFailure((t) => {
      statement(t, 2).Resource = { 'Fn::GetAtt': ['EventBus', 'Nope'] };
    }, /Statement\[2\]\.Resource\.Fn::GetAtt: Fn::GetAtt EventBus\.Nope .* not supported/);
    expectFailure((t) => {
      statement(t, 2).Resource = { Ref: 'Missing' };
    }, /Statement\[2\]\.Resource\.Ref: no resource or parameter Missing/);
    expectFailure((t) => {
      statement(t, 2).Resource = { 'Fn::ImportValue': 'x' };
    }, /Fn::ImportValue is not supported/);
    expectFailure((t) => {
      at(t, 'Resources', 'TenantApiLambdaFunction', 'Properties').Role =
        'arn:aws:iam::123456789012:role/elsewhere';
    }, /Resources\.TenantApiLambdaFunction\.Properties\.Role: expected Fn::GetAtt/);
    expectFailure((t) => {
      at(t, 'Parameters').Other = { Type: 'String' };
      at(t, 'Resources', 'FailuresQueue', 'Properties').QueueName = { Ref: 'Other' };
    }, /parameter Other has no value/);
    expectFailure((t) => {
      at(t, 'Resources', 'ApiRole', 'Properties').PermissionsBoundary =
        'arn:aws:iam::123456789012:policy/boundary';
    }, /PermissionsBoundary: permissions boundaries are not evaluated locally/);
  });

  it('needs physical ids for values AWS generates', () => {
    const { physicalIds: _, ...withoutIds } = ctx;
    expect(() => policiesFromTemplate(template(), withoutIds)).toThrow(
      /Statement\[4\]\.Resource\.Fn::GetAtt: the user pool id of UserPool is generated by AWS: pass physicalIds\.UserPool/,
    );
  });

  it('uses the stage for a Stage parameter without a value, and given parameters first', () => {
    expect(resolveIntrinsics(template(), ctx, { Ref: 'Stage' })).toBe('dev');
    expect(
      resolveIntrinsics(
        template(),
        { ...ctx, parameters: { Stage: 'prod', Prefix: 'x' } },
        { 'Fn::Sub': '${Prefix}-${Stage}' },
      ),
    ).toBe('x-prod');
  });
});
