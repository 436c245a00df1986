import { describe, expect, it } from 'vitest';
import { checkCoverage, formatReport, type RoleUnderTest } from './coverage.js';
import type { RecordedDecision } from './function-roles.js';

const TABLE = 'arn:aws:dynamodb:af-south-1:000000000000:table/events';
const BUS = 'arn:aws:events:af-south-1:000000000000:event-bus/bus';

/** A fixture role in the shape of the rendered ones: logs first, then the declared permissions. */
const roles: RoleUnderTest[] = [
  {
    function: 'api',
    policies: [
      {
        Version: '2012-10-17',
        Id: 'api-least-privilege',
        Statement: [
          { Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: '*' },
          { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [TABLE] },
          { Effect: 'Allow', Action: ['events:PutEvents'], Resource: BUS },
        ],
      },
    ],
  },
];

const call = (action: string, resource: string, statements: string[]): RecordedDecision => ({
  function: 'api',
  stage: 'rt',
  client: 'DynamoDBClient',
  command: `${action.split(':')[1]}Command`,
  action,
  resource,
  allowed: statements.length > 0,
  statements,
  expected: false,
  reason: statements.length > 0 ? 'allowed' : `no identity-based policy allows the ${action} action`,
});

const everyGrantUsed = [
  call('dynamodb:GetItem', TABLE, ['api-least-privilege#1']),
  call('dynamodb:Query', TABLE, ['api-least-privilege#1']),
  call('events:PutEvents', BUS, ['api-least-privilege#2']),
];
const logs = [{ function: '*', action: 'logs:PutLogEvents', why: 'the Lambda service writes logs' }];

describe('IAM coverage check', () => {
  it('passes when every action of every statement was used and nothing was denied', () => {
    const report = checkCoverage(roles, everyGrantUsed, logs);
    expect(report).toMatchObject({ ok: true, usedGrants: 3, unusedGrants: [], unexpectedDenials: [] });
    expect(report.allowListed).toEqual([
      expect.objectContaining({
        function: 'api',
        action: 'logs:PutLogEvents',
        why: 'the Lambda service writes logs',
      }),
    ]);
  });

  it('reports an action of a statement no recorded call used, naming function, statement and action', () => {
    const report = checkCoverage(roles, everyGrantUsed.slice(0, 1).concat(everyGrantUsed.slice(2)), logs);
    expect(report.ok).toBe(false);
    expect(report.unusedGrants).toEqual([
      { function: 'api', statement: 'api-least-privilege#1', action: 'dynamodb:Query', resources: [TABLE] },
    ]);
    expect(formatReport(report)[0]).toBe(
      `UNUSED GRANT: api statement api-least-privilege#1 action dynamodb:Query on ${TABLE}: no recorded call ` +
        'used it. Add a test for the path that needs it, remove it, or allow-list it with why.',
    );
  });

  it('reports a whole statement nobody used, and an unused grant that is not allow-listed', () => {
    const report = checkCoverage(roles, everyGrantUsed.slice(0, 2), []);
    expect(report.unusedGrants.map((g) => `${g.statement} ${g.action}`)).toEqual([
      'api-least-privilege#0 logs:PutLogEvents',
      'api-least-privilege#2 events:PutEvents',
    ]);
  });

  it('reports a denial no test expected, and accepts one a test provoked on purpose', () => {
    const denial = call('dynamodb:PutItem', TABLE, []);
    const report = checkCoverage(roles, [...everyGrantUsed, denial, denial], logs);
    expect(report.ok).toBe(false);
    expect(report.unexpectedDenials).toEqual([denial]);
    expect(formatReport(report)[0]).toMatch(
      /^DENIED \(no test expected it\): api dynamodb:PutItem on arn:aws:dynamodb:.*table\/events/,
    );
    expect(checkCoverage(roles, [...everyGrantUsed, { ...denial, expected: true }], logs).ok).toBe(true);
  });

  it('counts a call only for the statements that allowed it, and only for matching actions', () => {
    // GetItem allowed by statement #1 does not make events:PutEvents (statement #2) used
    const report = checkCoverage(
      roles,
      [...everyGrantUsed.slice(0, 2), call('dynamodb:GetItem', TABLE, [])],
      logs,
    );
    expect(report.unusedGrants.map((g) => g.action)).toEqual(['events:PutEvents']);
  });

  it('matches wildcard actions as IAM does', () => {
    const wide: RoleUnderTest[] = [
      {
        function: 'api',
        policies: [{ Id: 'p', Statement: [{ Effect: 'Allow', Action: 'dynamodb:Get*', Resource: TABLE }] }],
      },
    ];
    expect(checkCoverage(wide, [call('dynamodb:GetItem', TABLE, ['p#0'])]).ok).toBe(true);
    expect(checkCoverage(wide, [call('dynamodb:Query', TABLE, ['p#0'])]).ok).toBe(false);
  });

  it('notes, without failing, a resource of a used grant that no call touched', () => {
    const other = 'arn:aws:dynamodb:af-south-1:000000000000:table/events-v2';
    const two: RoleUnderTest[] = [
      {
        function: 'api',
        policies: [
          { Id: 'p', Statement: [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: [TABLE, other] }] },
        ],
      },
    ];
    const report = checkCoverage(two, [call('dynamodb:Query', TABLE, ['p#0'])]);
    expect(report.ok).toBe(true);
    expect(report.untouchedResources.map((u) => u.resource)).toEqual([other]);
    expect(formatReport(report).at(-1)).toBe(`  note: api dynamodb:Query (p#0) was never used on ${other}`);
  });

  it('reports an allow-list entry that is stale: the grant is used, or no role has it', () => {
    const used = checkCoverage(roles, everyGrantUsed, [
      ...logs,
      { function: 'api', action: 'dynamodb:Query', why: 'x' },
      { function: 'worker', action: 'sqs:SendMessage', why: 'y' },
    ]);
    expect(used.ok).toBe(false);
    expect(used.staleAllowList.map((e) => `${e.function} ${e.action}: ${e.problem}`)).toEqual([
      'api dynamodb:Query: api uses it (api-least-privilege#1)',
      'worker sqs:SendMessage: no role has this grant',
    ]);
  });
});
