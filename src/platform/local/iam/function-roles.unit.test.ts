import { describe, expect, it } from 'vitest';
import {
  functionNamed,
  LOCAL_WORKLOAD_ACCOUNT_IDS,
  restage,
  restageName,
  templateFunctionPolicies,
  templateRoles,
} from './function-roles.js';
import { AccessDeniedException, commandChecker } from './middleware.js';
import type { CloudFormationTemplate } from './packaged-template.js';

/** The shape serverless packages: a function, its own role, a table, a FIFO queue, a log group ARN. */
const template: CloudFormationTemplate = {
  Resources: {
    EventsTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'bbws-event-store-dev' } },
    SyncQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'bbws-identity-sync-dev.fifo' } },
    ApiExecutionRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Policies: [
          {
            PolicyName: 'api-least-privilege',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['logs:PutLogEvents'],
                  Resource: {
                    'Fn::Sub':
                      'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/bbws-control-plane-dev-api:*',
                  },
                },
                {
                  Effect: 'Allow',
                  Action: ['dynamodb:Query'],
                  Resource: { 'Fn::GetAtt': ['EventsTable', 'Arn'] },
                },
                {
                  Effect: 'Allow',
                  Action: ['sqs:ReceiveMessage'],
                  Resource: { 'Fn::GetAtt': ['SyncQueue', 'Arn'] },
                },
              ],
            },
          },
        ],
      },
    },
    ApiLambdaFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'bbws-control-plane-dev-api',
        Role: { 'Fn::GetAtt': ['ApiExecutionRole', 'Arn'] },
        Description: 'a developer-facing API',
      },
    },
  },
};

describe('the local roles from the packaged template', () => {
  it('renames the packaged stage to the runtime stage in every physical name, and nothing else', () => {
    const restaged = restage(template, 'dev', 'rt');
    const [api] = templateFunctionPolicies(restaged, 'rt');
    expect(api?.functionName).toBe('bbws-control-plane-rt-api');
    expect(api?.policies[0]?.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:PutLogEvents'],
        Resource: 'arn:aws:logs:af-south-1:000000000000:log-group:/aws/lambda/bbws-control-plane-rt-api:*',
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: 'arn:aws:dynamodb:af-south-1:000000000000:table/bbws-event-store-rt',
      },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage'],
        Resource: 'arn:aws:sqs:af-south-1:000000000000:bbws-identity-sync-rt.fifo',
      },
    ]);
    expect(restaged.Resources.ApiLambdaFunction?.Properties?.Description).toBe('a developer-facing API');
    expect(restage(template, 'dev', 'dev')).toBe(template);
  });

  it('finds each function by its serverless.yml name, and refuses one the template lacks', () => {
    const policies = templateFunctionPolicies(template, 'dev');
    expect(functionNamed(policies, 'api').roleName).toBe('ApiExecutionRole');
    expect(() => functionNamed(policies, 'worker')).toThrow(
      'function worker: expected one function named *-worker in the packaged template, found none (of bbws-control-plane-dev-api)',
    );
    expect(templateRoles(template).map((r) => r.function)).toEqual(['api']);
  });
});

describe('restageName', () => {
  it("renames the stack's names but not roles of other accounts (a workload environment's bbws-control-dev)", () => {
    expect(
      restageName('arn:aws:iam::000000000000:role/bbws-control-plane-dev-ecsControl', 'dev', 'rt1'),
    ).toBe('arn:aws:iam::000000000000:role/bbws-control-plane-rt1-ecsControl');
    expect(restageName('arn:${AWS::Partition}:iam::*:role/bbws-control-dev', 'dev', 'rt1')).toBe(
      'arn:${AWS::Partition}:iam::*:role/bbws-control-dev',
    );
    expect(restageName('bbws-events-dev', 'dev', 'rt1')).toBe('bbws-events-rt1');
  });
});

describe("sts:AssumeRole confined to the workload accounts (the stack's WorkloadAccountIds)", () => {
  const assuming: CloudFormationTemplate = {
    Parameters: {
      WorkloadAccountIds: {
        Type: 'AWS::SSM::Parameter::Value<List<String>>',
        Default: '/bbws/dev/workload-account-ids',
      },
    },
    Resources: {
      EcsControlExecutionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'bbws-control-plane-dev-ecsControl',
          Policies: [
            {
              PolicyName: 'ecsControl-least-privilege',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['sts:AssumeRole'],
                    Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/bbws-control-dev' }],
                    Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'WorkloadAccountIds' } } },
                  },
                ],
              },
            },
          ],
        },
      },
      EcsControlLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: 'bbws-control-plane-dev-ecsControl',
          Role: { 'Fn::GetAtt': ['EcsControlExecutionRole', 'Arn'] },
        },
      },
    },
  } as unknown as CloudFormationTemplate;

  it('resolves the parameter to the local workload accounts and denies a role of any other account', () => {
    const fn = functionNamed(templateFunctionPolicies(assuming, 'dev'), 'ecsControl');
    const check = commandChecker(fn.policies, {
      region: 'af-south-1',
      account: '000000000000',
      roleName: fn.roleName,
      functionName: fn.functionName,
    });
    const assume = (account: string) => () =>
      check('STSClient', 'AssumeRoleCommand', {
        RoleArn: `arn:aws:iam::${account}:role/bbws-control-dev`,
        RoleSessionName: 'bbws-ecsControl',
      });
    for (const account of LOCAL_WORKLOAD_ACCOUNT_IDS) expect(assume(account)).not.toThrow();
    expect(assume('999999999999')).toThrow(AccessDeniedException);
    expect(assume('000000000000')).toThrow(AccessDeniedException);
  });
});
