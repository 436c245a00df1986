import { describe, expect, it } from 'vitest';
import { validateTemplate } from './cfn-validate.js';
import { valueProblems } from './cfn-values.js';

/** A table and a FIFO queue CloudFormation accepts; each case changes one value. */
const template = () => ({
  Resources: {
    Table: {
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q-prod.fifo', FifoQueue: true } },
    Pool: {
      Type: 'AWS::Cognito::UserPool',
      Properties: {
        AutoVerifiedAttributes: ['email'] as string[],
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      },
    },
  },
});
type Template = ReturnType<typeof template>;

describe('template values CloudFormation refuses at deploy time (review 8, item 4)', () => {
  it('accepts the valid template', async () => {
    expect(await validateTemplate(template())).toEqual([]);
  });

  it.each<[string, (t: Template) => void, string]>([
    [
      'a DeletionPolicy that does not exist',
      (t) => Object.assign(t.Resources.Table, { DeletionPolicy: 'Keep' }),
      'Resource Table (AWS::DynamoDB::Table): DeletionPolicy is "Keep", not one of Delete, Retain, RetainExceptOnCreate, Snapshot.',
    ],
    [
      'RetainExceptOnCreate as an UpdateReplacePolicy',
      (t) => Object.assign(t.Resources.Table, { UpdateReplacePolicy: 'RetainExceptOnCreate' }),
      'Resource Table (AWS::DynamoDB::Table): UpdateReplacePolicy is "RetainExceptOnCreate", not one of Delete, Retain, Snapshot.',
    ],
    [
      'a misspelled BillingMode',
      (t) => Object.assign(t.Resources.Table.Properties, { BillingMode: 'PAY_PER_REQUST' }),
      'Resource Table (AWS::DynamoDB::Table): Properties.BillingMode is "PAY_PER_REQUST", not one of PROVISIONED, PAY_PER_REQUEST.',
    ],
    [
      'an unknown StreamViewType',
      (t) =>
        Object.assign(t.Resources.Table.Properties, {
          StreamSpecification: { StreamViewType: 'NEW_IMAGES' },
        }),
      'Resource Table (AWS::DynamoDB::Table): Properties.StreamSpecification.StreamViewType is "NEW_IMAGES", not one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES.',
    ],
    [
      'a FIFO queue named without .fifo',
      (t) => Object.assign(t.Resources.Queue.Properties, { QueueName: 'q-prod' }),
      'Resource Queue (AWS::SQS::Queue): Properties.QueueName "q-prod" must end in .fifo (FifoQueue is true).',
    ],
    [
      'a standard queue named .fifo',
      (t) => Object.assign(t.Resources.Queue.Properties, { FifoQueue: false }),
      'Resource Queue (AWS::SQS::Queue): Properties.QueueName "q-prod.fifo" must not end in .fifo (FifoQueue is false).',
    ],
    [
      'an e-mail change pending verification where Cognito does not verify e-mails',
      (t) => Object.assign(t.Resources.Pool.Properties, { AutoVerifiedAttributes: [] }),
      'Resource Pool (AWS::Cognito::UserPool): Properties.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate holds "email", which AutoVerifiedAttributes does not.',
    ],
    [
      'an attribute Cognito cannot verify',
      (t) => Object.assign(t.Resources.Pool.Properties, { AutoVerifiedAttributes: ['email', 'mail'] }),
      'Resource Pool (AWS::Cognito::UserPool): Properties.AutoVerifiedAttributes holds "mail", not one of email, phone_number.',
    ],
    [
      'a recovery mechanism Cognito does not have',
      (t) =>
        Object.assign(t.Resources.Pool.Properties, {
          AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'email', Priority: 1 }] },
        }),
      'Resource Pool (AWS::Cognito::UserPool): Properties.AccountRecoverySetting.RecoveryMechanisms holds "email", not one of verified_email, verified_phone_number, admin_only.',
    ],
  ])('refuses %s', async (_name, change, problem) => {
    const changed = template();
    change(changed);
    expect(await validateTemplate(changed)).toEqual([problem]);
  });

  it('refuses a Lambda runtime Lambda does not have, and leaves intrinsics to CloudFormation', () => {
    const fn = (Runtime: unknown) => ({ Type: 'AWS::Lambda::Function', Properties: { Runtime } });
    expect(valueProblems('Fn', fn('nodejs99.x'))).toEqual([
      'Resource Fn (AWS::Lambda::Function): Properties.Runtime is "nodejs99.x", not one of nodejs18.x, nodejs20.x, nodejs22.x.',
    ]);
    expect(valueProblems('Fn', fn('nodejs22.x'))).toEqual([]);
    expect(valueProblems('Fn', fn({ Ref: 'Runtime' }))).toEqual([]);
  });
});
