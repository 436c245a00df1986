import type { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { assumedRoleCredentials } from './assumed-role.js';

const ROLE = 'arn:aws:iam::111111111111:role/bbws-control-dev';
const HOUR = 3600_000;

/** An STS that answers each AssumeRole with new credentials valid for an hour from the clock's now. */
function fakeSts(clock: { now: number }, fail = { next: 0 }) {
  const calls: AssumeRoleCommand['input'][] = [];
  return {
    calls,
    send: async (command: AssumeRoleCommand) => {
      calls.push(command.input);
      await new Promise((resolve) => setImmediate(resolve));
      if (fail.next > 0) {
        fail.next -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      }
      return {
        Credentials: {
          AccessKeyId: `ASIA${calls.length}`,
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(clock.now + HOUR),
        },
        $metadata: {},
      };
    },
  };
}

describe('assumedRoleCredentials', () => {
  it('assumes the role once, named by the function, and keeps the credentials until 5 minutes before expiry', async () => {
    const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
    const sts = fakeSts(clock);
    const credentials = assumedRoleCredentials({
      sts: sts as never,
      roleArn: ROLE,
      sessionName: 'bbws-ecsControl',
      now: () => clock.now,
    });
    expect((await credentials()).accessKeyId).toBe('ASIA1');
    clock.now += 54 * 60_000; // 6 minutes left
    expect((await credentials()).accessKeyId).toBe('ASIA1');
    expect(sts.calls).toEqual([{ RoleArn: ROLE, RoleSessionName: 'bbws-ecsControl', DurationSeconds: 3600 }]);
    clock.now += 60_001; // less than 5 minutes left: refreshed
    const refreshed = await credentials();
    expect(refreshed).toMatchObject({ accessKeyId: 'ASIA2', sessionToken: 'token' });
    expect(refreshed.expiration?.getTime()).toBe(clock.now + HOUR);
    expect(sts.calls).toHaveLength(2);
  });

  it('shares one AssumeRole between callers at the same moment', async () => {
    const clock = { now: 0 };
    const sts = fakeSts(clock);
    const credentials = assumedRoleCredentials({
      sts: sts as never,
      roleArn: ROLE,
      sessionName: 's',
      now: () => clock.now,
    });
    const all = await Promise.all([credentials(), credentials(), credentials()]);
    expect(all.map((c) => c.accessKeyId)).toEqual(['ASIA1', 'ASIA1', 'ASIA1']);
    expect(sts.calls).toHaveLength(1);
  });

  it('does not keep a failure: the next call assumes the role again', async () => {
    const clock = { now: 0 };
    const sts = fakeSts(clock, { next: 1 });
    const credentials = assumedRoleCredentials({
      sts: sts as never,
      roleArn: ROLE,
      sessionName: 's',
      now: () => clock.now,
    });
    await expect(credentials()).rejects.toThrow('Rate exceeded');
    expect((await credentials()).accessKeyId).toBe('ASIA2');
  });
});
