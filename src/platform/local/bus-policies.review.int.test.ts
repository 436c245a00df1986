import { describe, expect, it } from 'vitest';
import { busPutters } from './bus-policies.js';
import type { CloudFormationTemplate } from './iam/packaged-template.js';

// Review of f5371e9: shapes busPutters reads silently as a grant where AWS would grant nothing (the stack's
// deployment fails, or the policy is not created). Each test accepts either fix: an error naming the shape, or no
// grant; what it refuses is a grant AWS would not give.

const ACCOUNT_A = '111111111111';
const ACCOUNT_B = '222222222222';

const statement = (principal: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: 'events:PutEvents',
  ...extra,
});
const busPolicy = (id: string, stmt: unknown, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::Events::EventBusPolicy',
  Properties: { EventBusName: 'default', StatementId: id, Statement: stmt },
  ...extra,
});

/** The accounts granted on the default bus, or 'error' when the shape is refused as not read locally. */
function defaultBusGrants(template: unknown, parameters: Record<string, string> = {}): string[] | 'error' {
  try {
    return [...(busPutters(template as CloudFormationTemplate, parameters).get('default') ?? [])].sort();
  } catch {
    return 'error';
  }
}
const grantsNone = (result: string[] | 'error', ...accounts: string[]) =>
  result === 'error' || accounts.every((a) => !result.includes(a));

describe('review f5371e9: bus policies AWS would not create are read as grants', () => {
  it('a policy resource whose CloudFormation Condition is false (not created in AWS) grants nothing', () => {
    const template = {
      Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
      Resources: { Policy: busPolicy('never', statement(ACCOUNT_A), { Condition: 'Never' }) },
    };
    const result = defaultBusGrants(template);
    expect(grantsNone(result, ACCOUNT_A), `read as ${JSON.stringify(result)}`).toBe(true);
  });

  it('a Ref to a String parameter is one principal (an invalid one), not a list split on commas', () => {
    const template = {
      Parameters: { Ids: { Type: 'String' } },
      Resources: { Policy: busPolicy('ids', statement({ Ref: 'Ids' })) },
    };
    // AWS: the principal "111111111111,222222222222", not an account: the deployment fails, nobody is let in
    const result = defaultBusGrants(template, { Ids: `${ACCOUNT_A},${ACCOUNT_B}` });
    expect(grantsNone(result, ACCOUNT_A, ACCOUNT_B), `read as ${JSON.stringify(result)}`).toBe(true);
  });

  it('two policies with one StatementId (CloudFormation: "<sid> already exists") do not both grant', () => {
    const template = {
      Resources: {
        First: busPolicy('same-sid', statement(ACCOUNT_A)),
        Second: busPolicy('same-sid', statement(ACCOUNT_B)),
      },
    };
    const result = defaultBusGrants(template);
    const both = result !== 'error' && result.includes(ACCOUNT_A) && result.includes(ACCOUNT_B);
    expect(both, `read as ${JSON.stringify(result)}`).toBe(false);
  });

  it("a Statement whose Resource is another bus than EventBusName's (ValidationException) grants nothing", () => {
    const template = {
      Resources: {
        Policy: busPolicy(
          'other-bus',
          statement(ACCOUNT_A, {
            Resource: 'arn:aws:events:af-south-1:000000000000:event-bus/bbws-events-dev',
          }),
        ),
      },
    };
    const result = defaultBusGrants(template);
    expect(grantsNone(result, ACCOUNT_A), `read as ${JSON.stringify(result)}`).toBe(true);
  });
});
