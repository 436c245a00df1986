// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} here are IAM policy variables, not JavaScript's.
import { describe, expect, it } from 'vitest';
import { evaluate, matchesAction, matchesResource, type PolicyDocument, PolicyError } from './policy.js';

const TABLE = 'arn:aws:dynamodb:af-south-1:123456789012:table/events';

function allow(action: string | string[], resource: string | string[], extra: object = {}): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource, ...extra }],
  };
}

describe('action wildcards', () => {
  it.each([
    ['dynamodb:PutItem', 'dynamodb:PutItem', true],
    ['dynamodb:putitem', 'dynamodb:PutItem', true],
    ['DynamoDB:PUTITEM', 'dynamodb:PutItem', true],
    ['dynamodb:*', 'dynamodb:PutItem', true],
    ['dynamodb:*', 'sqs:SendMessage', false],
    ['*', 'sqs:SendMessage', true],
    ['dynamodb:Get*', 'dynamodb:GetItem', true],
    ['dynamodb:Get*', 'dynamodb:GetRecords', true],
    ['dynamodb:Get*', 'dynamodb:BatchGetItem', false],
    ['dynamodb:*Item', 'dynamodb:PutItem', true],
    ['dynamodb:*Item', 'dynamodb:Query', false],
    ['dynamodb:?etItem', 'dynamodb:GetItem', true],
    ['dynamodb:?etItem', 'dynamodb:tGetItem', false],
    ['dynamodb:GetItem*', 'dynamodb:GetItem', true],
    ['dynamodb:Put', 'dynamodb:PutItem', false],
    ['dynamodb:PutItem.', 'dynamodb:PutItemX', false],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(matchesAction(pattern, action)).toBe(expected);
  });
});

describe('resource wildcards', () => {
  it.each([
    [TABLE, TABLE, true],
    ['*', TABLE, true],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/*', TABLE, true],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/Events', TABLE, false], // case-sensitive
    ['arn:aws:dynamodb:*:123456789012:table/events', TABLE, true],
    ['arn:aws:dynamodb:af-south-1:*:table/events', TABLE, true],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/event?', TABLE, true],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/event??', TABLE, false],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/events', `${TABLE}/index/byTenant`, false],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/events/index/*', `${TABLE}/index/byTenant`, true],
    ['arn:aws:dynamodb:af-south-1:123456789012:table/events*', `${TABLE}/index/byTenant`, true],
    [
      'arn:aws:dynamodb:af-south-1:123456789012:table/*/stream/*',
      `${TABLE}/stream/2026-01-01T00:00:00.000`,
      true,
    ],
    [
      'arn:aws:dynamodb:af-south-1:123456789012:table/events',
      'arn:aws:dynamodb:af-south-1:123456789012:table/events2',
      false,
    ],
    // `*` and `?` inside a segment do not cross colons; a `*` ending a segment may.
    [
      'arn:aws:logs:af-south-1:123456789012:log-group:/aws/lambda/x*:*',
      'arn:aws:logs:af-south-1:123456789012:log-group:/aws/lambda/x-f:log-stream:1',
      true,
    ],
    ['arn:aws:sqs:af-south-1:123456789012:q*x', 'arn:aws:sqs:af-south-1:123456789012:q:y:x', false],
    ['arn:aws:sqs:af-south-1:123456789012:q?x', 'arn:aws:sqs:af-south-1:123456789012:q:x', false],
    [
      'arn:aws:secretsmanager:af-south-1:123456789012:secret:db-??????',
      'arn:aws:secretsmanager:af-south-1:123456789012:secret:db-AbC123',
      true,
    ],
    [
      'arn:aws:secretsmanager:af-south-1:123456789012:secret:db-??????',
      'arn:aws:secretsmanager:af-south-1:123456789012:secret:db-AbC12',
      false,
    ],
    // Regex metacharacters in a pattern are literal.
    ['arn:aws:s3:::a.b(c)', 'arn:aws:s3:::aXb(c)', false],
    ['arn:aws:s3:::a.b(c)', 'arn:aws:s3:::a.b(c)', true],
  ])('%s matches %s: %s', (pattern, resource, expected) => {
    expect(matchesResource(pattern, resource)).toBe(expected);
  });
});

describe('evaluate', () => {
  it('allows what an Allow statement matches, and says which statement did', () => {
    const decision = evaluate([allow('dynamodb:PutItem', TABLE)], 'dynamodb:PutItem', TABLE);
    expect(decision).toMatchObject({ allowed: true, decidedBy: 'allow' });
    expect(decision.reason).toContain('statement #0');
  });

  it('denies implicitly when nothing allows', () => {
    const decision = evaluate([allow('dynamodb:GetItem', TABLE)], 'dynamodb:PutItem', TABLE);
    expect(decision).toMatchObject({ allowed: false, decidedBy: 'implicit-deny' });
    expect(decision.reason).toBe(`no identity-based policy allows the dynamodb:PutItem action on ${TABLE}`);
    expect(evaluate([], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
  });

  it('lets an explicit Deny win over any Allow, in any policy and any order', () => {
    const deny: PolicyDocument = {
      Id: 'guard',
      Statement: { Sid: 'NoDeletes', Effect: 'Deny', Action: 'dynamodb:Delete*', Resource: '*' },
    };
    for (const policies of [
      [allow('dynamodb:*', '*'), deny],
      [deny, allow('dynamodb:*', '*')],
    ]) {
      const decision = evaluate(policies, 'dynamodb:DeleteItem', TABLE);
      expect(decision).toMatchObject({ allowed: false, decidedBy: 'explicit-deny' });
      expect(decision.reason).toBe('explicit deny in policy guard statement "NoDeletes"');
    }
    expect(evaluate([allow('dynamodb:*', '*'), deny], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
  });

  it('takes Action and Resource as a string or a list', () => {
    const policy = allow(['dynamodb:GetItem', 'dynamodb:PutItem'], [TABLE, `${TABLE}/index/*`]);
    expect(evaluate([policy], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
    expect(evaluate([policy], 'dynamodb:GetItem', `${TABLE}/index/byX`).allowed).toBe(true);
    expect(evaluate([policy], 'dynamodb:Query', TABLE).allowed).toBe(false);
  });

  it('applies NotAction: every action but the listed ones', () => {
    const policy: PolicyDocument = {
      Statement: [{ Effect: 'Allow', NotAction: ['dynamodb:Delete*'], Resource: '*' }],
    };
    expect(evaluate([policy], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
    expect(evaluate([policy], 'sqs:SendMessage', 'arn:aws:sqs:af-south-1:1:q').allowed).toBe(true);
    expect(evaluate([policy], 'dynamodb:DeleteItem', TABLE).allowed).toBe(false);
    const denyAllBut: PolicyDocument = {
      Statement: [{ Effect: 'Deny', NotAction: 'dynamodb:GetItem', Resource: '*' }],
    };
    expect(evaluate([allow('*', '*'), denyAllBut], 'dynamodb:GetItem', TABLE).allowed).toBe(true);
    expect(evaluate([allow('*', '*'), denyAllBut], 'dynamodb:PutItem', TABLE).decidedBy).toBe(
      'explicit-deny',
    );
  });

  it('applies NotResource: every resource but the listed ones', () => {
    const policy: PolicyDocument = {
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', NotResource: `${TABLE}*` }],
    };
    expect(
      evaluate([policy], 'dynamodb:GetItem', 'arn:aws:dynamodb:af-south-1:123456789012:table/other').allowed,
    ).toBe(true);
    expect(evaluate([policy], 'dynamodb:GetItem', TABLE).allowed).toBe(false);
  });

  it('rejects policies AWS would reject, and unresolved CloudFormation intrinsics', () => {
    const bad = (statement: object) => () =>
      evaluate([{ Statement: [statement] } as unknown as PolicyDocument], 'dynamodb:GetItem', TABLE);
    expect(bad({ Effect: 'Allow', Action: 'dynamodb:GetItem' })).toThrow(PolicyError);
    expect(bad({ Effect: 'Allow', Action: 'a:b', NotAction: 'a:c', Resource: '*' })).toThrow(
      /exactly one of Action/,
    );
    expect(bad({ Effect: 'Maybe', Action: 'a:b', Resource: '*' })).toThrow(/Effect/);
    expect(bad({ Effect: 'Allow', Principal: '*', Action: 'a:b', Resource: '*' })).toThrow(/Principal/);
    expect(
      bad({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['T', 'Arn'] } }),
    ).toThrow(/resolve CloudFormation intrinsics/);
  });
});

describe('conditions', () => {
  const inRegion = { StringEquals: { 'aws:RequestedRegion': 'af-south-1' } };

  it('does not apply an Allow whose condition it cannot evaluate, and says so', () => {
    const decision = evaluate([allow('dynamodb:*', '*', { Condition: inRegion })], 'dynamodb:GetItem', TABLE);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('condition key aws:RequestedRegion is not known locally');
    const unsupported = { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } };
    const other = evaluate(
      [allow('dynamodb:*', '*', { Condition: unsupported })],
      'dynamodb:GetItem',
      TABLE,
      {
        'aws:CurrentTime': '2026-01-01T00:00:00Z',
      },
    );
    expect(other.allowed).toBe(false);
    expect(other.reason).toContain('condition operator DateLessThan is not supported locally');
  });

  it('applies a Deny whose condition it cannot evaluate (never allows by not knowing)', () => {
    const deny: PolicyDocument = {
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
        },
      ],
    };
    const decision = evaluate([allow('*', '*'), deny], 'dynamodb:GetItem', TABLE);
    expect(decision).toMatchObject({ allowed: false, decidedBy: 'explicit-deny' });
    expect(decision.reason).toContain('cannot be evaluated locally');
  });

  it('evaluates string, ARN, Bool, numeric and Null conditions against the request context', () => {
    const check = (condition: object, context: Record<string, string | string[] | undefined>) =>
      evaluate([allow('dynamodb:*', '*', { Condition: condition })], 'dynamodb:GetItem', TABLE, context)
        .allowed;
    expect(check(inRegion, { 'aws:RequestedRegion': 'af-south-1' })).toBe(true);
    expect(check(inRegion, { 'AWS:REQUESTEDREGION': 'af-south-1' })).toBe(true); // key names ignore case
    expect(check(inRegion, { 'aws:RequestedRegion': 'eu-west-1' })).toBe(false);
    expect(
      check(
        { StringEqualsIgnoreCase: { 'aws:RequestedRegion': 'AF-SOUTH-1' } },
        { 'aws:RequestedRegion': 'af-south-1' },
      ),
    ).toBe(true);
    expect(
      check(
        { StringLike: { 'aws:RequestedRegion': ['eu-*', 'af-*'] } },
        { 'aws:RequestedRegion': 'af-south-1' },
      ),
    ).toBe(true);
    expect(
      check(
        { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } },
        { 'aws:RequestedRegion': 'af-south-1' },
      ),
    ).toBe(true);
    expect(
      check(
        { StringNotEquals: { 'aws:RequestedRegion': 'af-south-1' } },
        { 'aws:RequestedRegion': 'af-south-1' },
      ),
    ).toBe(false);
    expect(
      check(
        { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/bbws-*' } },
        { 'aws:PrincipalArn': 'arn:aws:iam::1:role/bbws-x' },
      ),
    ).toBe(true);
    expect(check({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(check({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'false' })).toBe(false);
    expect(check({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '5' })).toBe(true);
    expect(check({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '50' })).toBe(false);
    // Several operators and keys: all must hold.
    const both = {
      StringEquals: { 'aws:RequestedRegion': 'af-south-1' },
      Bool: { 'aws:SecureTransport': 'true' },
    };
    expect(check(both, { 'aws:RequestedRegion': 'af-south-1', 'aws:SecureTransport': 'true' })).toBe(true);
    expect(check(both, { 'aws:RequestedRegion': 'af-south-1', 'aws:SecureTransport': 'false' })).toBe(false);
  });

  it('treats a key known to be absent as AWS does: false, true for negated operators, IfExists and Null', () => {
    const check = (condition: object) =>
      evaluate([allow('dynamodb:*', '*', { Condition: condition })], 'dynamodb:GetItem', TABLE, {
        'aws:SourceVpc': undefined,
      }).allowed;
    expect(check({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } })).toBe(false);
    expect(check({ StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } })).toBe(true);
    expect(check({ StringEqualsIfExists: { 'aws:SourceVpc': 'vpc-1' } })).toBe(true);
    expect(check({ Null: { 'aws:SourceVpc': 'true' } })).toBe(true);
    expect(check({ Null: { 'aws:SourceVpc': 'false' } })).toBe(false);
  });

  it('evaluates multi-valued keys only with ForAnyValue / ForAllValues', () => {
    const check = (condition: object) =>
      evaluate([allow('dynamodb:*', '*', { Condition: condition })], 'dynamodb:GetItem', TABLE, {
        'aws:TagKeys': ['team', 'env'],
      });
    expect(check({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'env' } }).allowed).toBe(true);
    expect(check({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team', 'cost'] } }).allowed).toBe(
      true,
    );
    expect(check({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }).allowed).toBe(false);
    const single = check({ StringEquals: { 'aws:TagKeys': 'env' } });
    expect(single.allowed).toBe(false);
    expect(single.reason).toContain('multi-valued');
  });

  it('substitutes policy variables in resources of 2012-10-17 policies only', () => {
    const policy = allow(
      'dynamodb:GetItem',
      'arn:aws:dynamodb:af-south-1:123456789012:table/${aws:PrincipalTag/team}',
    );
    const context = { 'aws:PrincipalTag/team': 'events' };
    expect(evaluate([policy], 'dynamodb:GetItem', TABLE, context).allowed).toBe(true);
    expect(evaluate([policy], 'dynamodb:GetItem', TABLE, { 'aws:PrincipalTag/team': 'other' }).allowed).toBe(
      false,
    );
    const unknown = evaluate([policy], 'dynamodb:GetItem', TABLE);
    expect(unknown.allowed).toBe(false);
    expect(unknown.reason).toContain('policy variable');
    // A substituted value is literal: a `*` in it is not a wildcard.
    expect(evaluate([policy], 'dynamodb:GetItem', TABLE, { 'aws:PrincipalTag/team': '*' }).allowed).toBe(
      false,
    );
    const old = { ...policy, Version: '2008-10-17' };
    expect(evaluate([old], 'dynamodb:GetItem', TABLE, context).allowed).toBe(false);
  });
});
