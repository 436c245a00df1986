/**
 * Review 3 (259c6cb): the remembered decisions of commandChecker must equal a fresh evaluation, request by request,
 * and every request must still be reported once per command, whatever the order of (repeated) requests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessDeniedException, commandChecker, type IamDecision, type IamIdentity } from './middleware.js';
import { evaluate, type PolicyDocument, type RequestContext } from './policy.js';
import { requestsOf } from './sdk-actions.js';

const ACCOUNT = '123456789012';
const A = `af-south-1:${ACCOUNT}`;
const identity: IamIdentity = {
  region: 'af-south-1',
  account: ACCOUNT,
  roleName: 'r',
  functionName: 'f',
  kmsAliases: { 'alias/a': 'k1', 'alias/b': 'k2', 'alias/c': `arn:aws:kms:af-south-1:999999999999:key/k3` },
};

const policies: PolicyDocument[] = [
  {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: `arn:aws:dynamodb:${A}:table/t*` },
      { Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: `arn:aws:dynamodb:${A}:table/t2` },
      {
        Effect: 'Allow',
        Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:RequestAlias': 'alias/a', 'aws:ResourceAccount': ACCOUNT } },
      },
      {
        Effect: 'Deny',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringEquals: { 'kms:RequestAlias': 'alias/b' } },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Encrypt',
        Resource: `arn:aws:kms:${A}:key/k2`,
      },
    ],
  },
];

const command = fc.oneof(
  fc.record({
    client: fc.constant('DynamoDBClient'),
    command: fc.constantFrom('GetItemCommand', 'PutItemCommand', 'DeleteItemCommand'),
    input: fc.record({ TableName: fc.constantFrom('t1', 't2', 'x', 't1 ') }),
  }),
  fc.record({
    client: fc.constant('KMSClient'),
    command: fc.constantFrom('EncryptCommand', 'GenerateDataKeyCommand'),
    input: fc.record({
      KeyId: fc.constantFrom('alias/a', 'alias/b', 'alias/c', 'k1', 'k2', `arn:aws:kms:${A}:alias/a`),
    }),
  }),
);

function globalContext(): RequestContext {
  return {
    'aws:RequestedRegion': identity.region,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/r`,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SecureTransport': 'true',
  };
}

describe('commandChecker remembered decisions (review3)', () => {
  it('equal a fresh evaluation and are reported once per request, in any sequence', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (commands) => {
        const reported: IamDecision[] = [];
        const check = commandChecker(policies, identity, (d) => reported.push(d));
        for (const c of commands) {
          const before = reported.length;
          const requests = requestsOf(c.client, c.command, c.input, identity);
          const fresh = requests.map((r) => {
            const account = r.resource.startsWith('arn:') ? r.resource.split(':')[4] : undefined;
            return evaluate(policies, r.action, r.resource, {
              ...globalContext(),
              ...(account ? { 'aws:ResourceAccount': account } : {}),
              ...r.context,
            });
          });
          let threw: unknown;
          try {
            check(c.client, c.command, c.input);
          } catch (error) {
            threw = error;
          }
          const now = reported.slice(before);
          expect(now).toHaveLength(requests.length);
          now.forEach((d, i) => {
            expect({ allowed: d.allowed, decidedBy: d.decidedBy, reason: d.reason }).toEqual({
              allowed: fresh[i]?.allowed,
              decidedBy: fresh[i]?.decidedBy,
              reason: fresh[i]?.reason,
            });
            expect([...d.allowedBy]).toEqual(fresh[i]?.allowedBy);
          });
          expect(threw instanceof AccessDeniedException).toBe(fresh.some((f) => !f.allowed));
        }
      }),
      { numRuns: 300 },
    );
  });
});
