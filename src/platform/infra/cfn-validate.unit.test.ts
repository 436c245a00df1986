// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} here are Fn::Sub's syntax, not JavaScript's.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateTemplate } from './cfn-validate.js';

type Template = {
  Parameters: Record<string, unknown>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown }>;
  Outputs: Record<string, unknown>;
};

/** A small template in the shape serverless.yml produces: table with stream, queue, role, function, rule. */
function template(): Template {
  return {
    Parameters: { Stage: { Type: 'String', Default: 'dev' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: { 'Fn::Sub': 'events-${Stage}' },
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'N' },
            { AttributeName: 'GSI1PK', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'GSI1',
              KeySchema: [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
          StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: 'true' },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: { 'Fn::If': ['IsProd', true, false] },
          Tags: [{ Key: 'stage', Value: { Ref: 'Stage' } }],
        },
      },
      DeadLetterQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: { MessageRetentionPeriod: 1209600 },
      },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          VisibilityTimeout: '30',
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
            maxReceiveCount: 5,
          },
        },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: ['lambda.amazonaws.com'] },
                Action: ['sts:AssumeRole'],
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'table',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['dynamodb:Query', 'dynamodb:PutItem'],
                    Resource: [{ 'Fn::GetAtt': ['Table', 'Arn'] }, { 'Fn::Sub': '${Table.Arn}/index/*' }],
                    Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'logs:*',
                    Resource: {
                      'Fn::Sub': [
                        'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:${!Literal}',
                        { Group: '/aws/lambda/handler' },
                      ],
                    },
                  },
                ],
              },
            },
          ],
        },
      },
      Handler: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Code: { ZipFile: 'exports.handler = async () => {};' },
          Role: { 'Fn::GetAtt': 'Role.Arn' },
          Timeout: 30,
          MemorySize: '512',
          Environment: { Variables: { TABLE: { Ref: 'Table' }, QUEUE_URL: { Ref: 'Queue' } } },
        },
        DependsOn: ['Role'],
      },
      StreamMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: { Ref: 'Handler' },
          EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
        },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['bbws.tenants'], 'detail-type': ['TenantCreated'] },
          Targets: [{ Arn: { 'Fn::GetAtt': ['Handler', 'Arn'] }, Id: 'handler' }],
        },
      },
      RulePermission: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': ['Handler', 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] },
        },
      },
      Seed: {
        Type: 'Custom::Seed',
        Properties: { ServiceToken: { 'Fn::GetAtt': ['Handler', 'Arn'] }, Anything: { goes: [1, 2] } },
      },
    },
    Outputs: {
      TableArn: {
        Value: { 'Fn::GetAtt': ['Table', 'Arn'] },
        Export: { Name: { 'Fn::Sub': '${AWS::StackName}-table' } },
      },
      QueueUrl: { Value: { Ref: 'Queue' } },
      SeedResult: { Value: { 'Fn::GetAtt': ['Seed', 'WhateverTheHandlerReturns'] } },
    },
  };
}

/** Validates the template after `change` has broken it. */
async function errorsAfter(change: (t: Template) => void): Promise<string[]> {
  const t = template();
  change(t);
  return validateTemplate(t);
}

const resource = (t: Template, id: string) => {
  const found = t.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the test template`);
  return found;
};
const table = (t: Template) => resource(t, 'Table').Properties;
const policyStatement = (t: Template) =>
  (resource(t, 'Role').Properties.Policies as { PolicyDocument: { Statement: { Resource: unknown }[] } }[])[0]
    ?.PolicyDocument.Statement[0] ?? { Resource: undefined };

let loadMs = 0;
beforeAll(async () => {
  // The first call loads the resource model; every later call in this file reuses it.
  const started = performance.now();
  await validateTemplate(template());
  loadMs = performance.now() - started;
});

describe('validateTemplate', () => {
  it('accepts a valid template, with the resource model loaded well under 10 s', async () => {
    expect(await validateTemplate(template())).toEqual([]);
    expect(loadMs).toBeLessThan(10_000);
  });

  it('reports a misspelled property', async () => {
    const errors = await errorsAfter((t) => {
      table(t).BillingMod = table(t).BillingMode;
      delete table(t).BillingMode;
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.BillingMod is not a property of AWS::DynamoDB::Table.',
    ]);
  });

  it('reports a misspelled property of a nested property type in a list', async () => {
    const errors = await errorsAfter((t) => {
      table(t).GlobalSecondaryIndexes = [
        { IndexName: 'GSI1', KeySchema: [], Projection: { ProjectionTyp: 'ALL' } },
      ];
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.GlobalSecondaryIndexes[0].Projection.ProjectionTyp ' +
        'is not a property of AWS::DynamoDB::Table.Projection.',
    ]);
  });

  it('reports an object where a boolean is expected', async () => {
    const errors = await errorsAfter((t) => {
      table(t).DeletionProtectionEnabled = { a: 1 };
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.DeletionProtectionEnabled must be a boolean, but is an object.',
    ]);
  });

  it('reports a list where a string is expected, and a word where a number is expected', async () => {
    const errors = await errorsAfter((t) => {
      table(t).TableName = ['events'];
      resource(t, 'Queue').Properties.VisibilityTimeout = 'thirty';
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.TableName must be a string, but is a list.',
      'Resource Queue (AWS::SQS::Queue): Properties.VisibilityTimeout must be an integer, but is a string ("thirty").',
    ]);
  });

  it('reports an intrinsic whose result cannot be the expected type, in either Fn::If branch too', async () => {
    const errors = await errorsAfter((t) => {
      table(t).GlobalSecondaryIndexes = { 'Fn::If': ['IsProd', { 'Fn::Join': ['', ['GSI1']] }, []] };
      table(t).KeySchema = { 'Fn::Split': [',', 'pk,sk'] }; // a list of strings is not checked further
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.GlobalSecondaryIndexes.Fn::If[1] must be a list of ' +
        'GlobalSecondaryIndex objects, but Fn::Join gives a string.',
    ]);
  });

  it('reports a missing required property', async () => {
    const errors = await errorsAfter((t) => {
      delete table(t).KeySchema;
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.KeySchema is required by AWS::DynamoDB::Table but missing.',
    ]);
  });

  it('reports an unknown resource type', async () => {
    const errors = await errorsAfter((t) => {
      resource(t, 'Queue').Type = 'AWS::SQS::Queues';
    });
    expect(errors).toEqual([
      'Resource Queue (AWS::SQS::Queues) has unknown resource type "AWS::SQS::Queues".',
    ]);
  });

  it('reports a Fn::GetAtt of a resource that is not in the template', async () => {
    const errors = await errorsAfter((t) => {
      policyStatement(t).Resource = { 'Fn::GetAtt': ['Tabel', 'Arn'] };
    });
    expect(errors).toEqual([
      'Resource Role (AWS::IAM::Role): Properties.Policies[0].PolicyDocument.Statement[0].Resource ' +
        'Fn::GetAtt Tabel.Arn names resource "Tabel", which is not in the template.',
    ]);
  });

  it('reports a Fn::GetAtt of an attribute the resource type does not have, in both forms', async () => {
    const errors = await errorsAfter((t) => {
      policyStatement(t).Resource = { 'Fn::GetAtt': ['Table', 'Name'] };
      resource(t, 'Handler').Properties.Role = { 'Fn::GetAtt': 'Role.Name' };
    });
    expect(errors).toEqual([
      'Resource Role (AWS::IAM::Role): Properties.Policies[0].PolicyDocument.Statement[0].Resource ' +
        'Fn::GetAtt Table.Name names attribute "Name", which AWS::DynamoDB::Table does not have (it has: Arn, StreamArn).',
      'Resource Handler (AWS::Lambda::Function): Properties.Role Fn::GetAtt Role.Name names attribute "Name", ' +
        'which AWS::IAM::Role does not have (it has: Arn, RoleId).',
    ]);
  });

  it('reports a Ref to nothing, in properties and in outputs', async () => {
    const errors = await errorsAfter((t) => {
      resource(t, 'Handler').Properties.Environment = { Variables: { QUEUE_URL: { Ref: 'Queu' } } };
      t.Outputs.QueueUrl = { Value: { Ref: 'Queu' } };
    });
    expect(errors).toEqual([
      'Resource Handler (AWS::Lambda::Function): Properties.Environment.Variables.QUEUE_URL Ref "Queu" ' +
        'names no resource, parameter or pseudo parameter of the template.',
      'Output QueueUrl: Value Ref "Queu" names no resource, parameter or pseudo parameter of the template.',
    ]);
  });

  it('reports bad ${X} and ${X.Attr} variables in Fn::Sub', async () => {
    const errors = await errorsAfter((t) => {
      policyStatement(t).Resource = { 'Fn::Sub': '${Tabel.Arn}/index/*:${Stag}:${Table.Nope}:${!Table}' };
    });
    const at = 'Resource Role (AWS::IAM::Role): Properties.Policies[0].PolicyDocument.Statement[0].Resource';
    expect(errors).toEqual([
      `${at} Fn::Sub variable \${Tabel.Arn} names resource "Tabel", which is not in the template.`,
      `${at} Fn::Sub variable \${Stag} names no resource, parameter or pseudo parameter of the template.`,
      `${at} Fn::Sub variable \${Table.Nope} names attribute "Nope", which AWS::DynamoDB::Table does not have ` +
        '(it has: Arn, StreamArn).',
    ]);
  });

  it('reports DependsOn, Fn::If conditions and self-references that resolve to nothing', async () => {
    const errors = await errorsAfter((t) => {
      resource(t, 'Handler').DependsOn = ['Role', 'Rol'];
      table(t).DeletionProtectionEnabled = { 'Fn::If': ['IsProduction', true, false] };
      table(t).TableName = { Ref: 'Table' };
    });
    expect(errors).toEqual([
      'Resource Table (AWS::DynamoDB::Table): Properties.TableName Ref "Table" refers to its own resource ' +
        '(a circular dependency).',
      'Resource Table (AWS::DynamoDB::Table): Properties.DeletionProtectionEnabled Fn::If names condition ' +
        '"IsProduction", which is not in Conditions.',
      'Resource Handler (AWS::Lambda::Function): DependsOn[1] names "Rol", which is not a resource of the template.',
    ]);
  });

  it('reports a template without resources', async () => {
    expect(await validateTemplate({ Resources: {} })).toEqual([
      'The template must have a Resources section with at least one resource.',
    ]);
  });
});

// The packaged dev and prod templates themselves are validated in test/infra/cloudformation.int.test.ts (packaged
// there, never skipped).
