import { describe, expect, it } from 'vitest';
import { matchesPattern, type Pattern } from './event-pattern.js';

// The event and most patterns follow AWS's "Amazon EventBridge event patterns" documentation.
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'source-ip': '10.0.0.123',
    c_count: 5,
    d_count: 10,
    x_limit: 3.018e2,
    location: 'us-east-1',
    tags: ['prod', 'web'],
    nothing: null,
  },
};

const cases: [string, Pattern, boolean][] = [
  ['exact source', { source: ['aws.ec2'] }, true],
  ['exact source, other', { source: ['aws.s3'] }, false],
  ['one of several values', { detail: { state: ['running', 'terminated'] } }, true],
  ['null value', { detail: { nothing: [null] } }, true],
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
  ['prefix, no', { time: [{ prefix: '2018' }] }, false],
  ['prefix ignoring case', { detail: { state: [{ prefix: { 'equals-ignore-case': 'TERM' } }] } }, true],
  ['suffix', { detail: { 'instance-id': [{ suffix: 'def0' }] } }, true],
  [
    'suffix ignoring case',
    { detail: { 'instance-id': [{ suffix: { 'equals-ignore-case': 'DEF0' } }] } },
    true,
  ],
  ['anything-but a value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
  ['anything-but the value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
  ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
  ['anything-but a suffix', { detail: { state: [{ 'anything-but': { suffix: 'ated' } }] } }, false],
  [
    'anything-but ignoring case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['TERMINATED'] } }] } },
    false,
  ],
  ['anything-but a wildcard', { detail: { state: [{ 'anything-but': { wildcard: 'term*' } }] } }, false],
  [
    'anything-but on a missing field does not match',
    { detail: { missing: [{ 'anything-but': 'x' }] } },
    false,
  ],
  [
    'numeric range',
    { detail: { c_count: [{ numeric: ['>', 0, '<=', 5] }], x_limit: [{ numeric: ['=', 301.8] }] } },
    true,
  ],
  ['numeric out of range', { detail: { d_count: [{ numeric: ['<', 10] }] } }, false],
  ['numeric does not match strings', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
  ['exists', { detail: { state: [{ exists: true }] } }, true],
  ['exists on a missing field', { detail: { missing: [{ exists: true }] } }, false],
  ['not exists', { detail: { missing: [{ exists: false }] } }, true],
  ['not exists on a present field', { detail: { state: [{ exists: false }] } }, false],
  [
    'equals-ignore-case',
    { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
    true,
  ],
  ['wildcard', { resources: [{ wildcard: 'arn:aws:ec2:*:instance/*' }] }, true],
  ['wildcard, no', { detail: { location: [{ wildcard: 'eu-*' }] } }, false],
  ['array field: any element', { detail: { tags: ['web'] } }, true],
  ['cidr', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, true],
  ['cidr, no', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, false],
  [
    '$or',
    { detail: { $or: [{ c_count: [{ numeric: ['>', 10] }] }, { d_count: [{ numeric: ['>=', 10] }] }] } },
    true,
  ],
  ['$or, none', { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['Nope'] }] }, false],
  ['all fields must match', { source: ['aws.ec2'], detail: { state: ['running'] } }, false],
  ['nested object on a scalar', { source: { x: ['y'] } }, false],
];

describe('EventBridge event patterns', () => {
  it.each(cases)('%s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('routes the tenant-lifecycle rule of the design', () => {
    const rule = {
      source: ['bbws.tenant-management'],
      'detail-type': [{ prefix: 'TENANT_' }, { prefix: 'USER_' }],
    };
    expect(matchesPattern(rule, { source: 'bbws.tenant-management', 'detail-type': 'USER_ASSIGNED' })).toBe(
      true,
    );
    expect(matchesPattern(rule, { source: 'bbws.site-management', 'detail-type': 'TENANT_CREATED' })).toBe(
      false,
    );
  });

  it('refuses operators it does not know rather than guessing', () => {
    expect(() => matchesPattern({ source: [{ regex: '.*' }] }, event)).toThrow(/unsupported/);
  });
});
