import { getAtt, type Json, sub } from './cloudformation.js';
import type { BusRef, FunctionDefinition, Permission, Trigger } from './definitions.js';

export const SERVICE = 'bbws-control-plane';

export const busArn = (bus: BusRef): Json =>
  bus === 'platform'
    ? getAtt('EventBus', 'Arn')
    : sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default');

function permissionStatement(permission: Permission, stage: string): Json {
  switch (permission.service) {
    case 'dynamodb':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `dynamodb:${a}`),
        Resource: permission.tables.flatMap((table) => [
          getAtt(table, 'Arn'),
          ...(permission.indexes ? [{ 'Fn::Join': ['/', [getAtt(table, 'Arn'), 'index/*']] }] : []),
        ]),
      };
    case 'events':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `events:${a}`),
        Resource: busArn(permission.bus),
      };
    case 'sqs':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `sqs:${a}`),
        Resource: permission.queues.map((q) => getAtt(q, 'Arn')),
      };
    case 'cognito-idp':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `cognito-idp:${a}`),
        Resource: getAtt('UserPool', 'Arn'),
      };
    case 'ecs':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `ecs:${a}`),
        Resource: sub(
          'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/bbws-*/bbws-*-tenant-*',
        ),
      };
    case 'application-autoscaling':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `application-autoscaling:${a}`),
        Resource: permission.actions.every((a) => a === 'DescribeScalableTargets')
          ? '*'
          : sub(
              'arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*',
            ),
      };
    case 'kms':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `kms:${a}`),
        Resource: getAtt(permission.key, 'Arn'),
      };
    case 'sts':
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `sts:${a}`),
        Resource: permission.roles.map((role) => sub(`arn:\${AWS::Partition}:iam::*:role/${role}`)),
        // The role names are the same in every workload account: the accounts are what confines the grant.
        Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: permission.accountsParameter } } },
      };
    case 'secretsmanager':
      // Secrets Manager appends six random characters to a secret's ARN.
      return {
        Effect: 'Allow',
        Action: permission.actions.map((a) => `secretsmanager:${a}`),
        Resource: sub(
          `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:bbws/${stage}/${permission.secret}-??????`,
        ),
      };
    default:
      return permission satisfies never;
  }
}

/** What the trigger's poller (run by Lambda with the function's role) needs: read the source, report failures. */
function triggerStatements(trigger: Trigger): Json[] {
  switch (trigger.kind) {
    case 'stream':
      return [
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: getAtt(trigger.table, 'StreamArn'),
        },
        // ListStreams has no resource-level permissions: only `*` grants it.
        { Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: '*' },
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt(trigger.onFailureQueue, 'Arn') },
      ];
    case 'sqs':
      return [
        {
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          Resource: getAtt(trigger.queue, 'Arn'),
        },
      ];
    case 'eventBridge':
      return [];
    default:
      return trigger satisfies never;
  }
}

/**
 * The fixed name of a function's role, given to the roles other accounts' trust policies name (the functions with an
 * `sts` permission: the workload accounts' template, src/contexts/instances/ecs/workload-account.ts, names them so);
 * the others keep CloudFormation's generated name.
 */
export const roleName = (fn: Pick<FunctionDefinition, 'name'>, stage: string): string =>
  `${SERVICE}-${stage}-${fn.name}`;

export const roleId = (fn: Pick<FunctionDefinition, 'name'>): string =>
  `${fn.name.charAt(0).toUpperCase()}${fn.name.slice(1)}ExecutionRole`;

/** One role per function, holding exactly the statements its declaration names (plus its logs and triggers). */
export function executionRole(fn: FunctionDefinition, stage: string): Json {
  const logGroup = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${SERVICE}-${stage}-${fn.name}`;
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      ...(fn.permissions.some((p) => p.service === 'sts') ? { RoleName: roleName(fn, stage) } : {}),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
        ],
      },
      Policies: [
        {
          PolicyName: `${fn.name}-least-privilege`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents'],
                Resource: [sub(logGroup), sub(`${logGroup}:*`)],
              },
              ...(fn.triggers ?? []).flatMap(triggerStatements),
              ...fn.permissions.map((p) => permissionStatement(p, stage)),
            ],
          },
        },
      ],
    },
  };
}
