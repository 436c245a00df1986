import type { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { assumedRoleCredentials } from './assumed-role.js';

// Adversarial review of the credential provider (commit 521ff2d): what a bad STS minute does to it.

const ROLE = 'arn:aws:iam::111111111111:role/bbws-control-dev';
const HOUR = 3600_000;
const MINUTE = 60_000;

/** An STS whose behaviour the test switches: answer (credentials valid for an hour), fail, or never answer. */
function controllableSts(clock: { now: number }) {
  const state = { mode: 'answer' as 'answer' | 'fail' | 'hang', calls: 0 };
  return {
    state,
    send: async (_command: AssumeRoleCommand) => {
      state.calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (state.mode === 'fail')
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
      if (state.mode === 'hang') return new Promise<never>(() => {});
      return {
        Credentials: {
          AccessKeyId: `ASIA${state.calls}`,
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(clock.now + HOUR),
        },
        $metadata: {},
      };
    },
  };
}

describe('assumedRoleCredentials under a bad STS minute (review)', () => {
  it('keeps serving credentials that are still valid when the early refresh (5 min before expiry) fails', async () => {
    const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
    const sts = controllableSts(clock);
    const credentials = assumedRoleCredentials({
      sts: sts as never,
      roleArn: ROLE,
      sessionName: 'bbws-ecsControl',
      now: () => clock.now,
    });
    const first = await credentials();
    expect(first.accessKeyId).toBe('ASIA1');
    // 4 minutes left on ASIA1: the provider refreshes early, and STS is down for that minute.
    clock.now += 56 * MINUTE;
    sts.state.mode = 'fail';
    // AWS would still accept ASIA1 for 4 more minutes: every ECS call of this environment need not fail.
    // Today the refresh's error is handed to every caller instead (each SQS message fails, is retried, and after
    // 5 receives lands in the DLQ if STS stays down for the visibility-timeout window).
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIA1' });
  });

  it('does not stay wedged on an AssumeRole that never answers', async () => {
    const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
    const sts = controllableSts(clock);
    const credentials = assumedRoleCredentials({
      sts: sts as never,
      roleArn: ROLE,
      sessionName: 'bbws-ecsStateSync',
      now: () => clock.now,
    });
    sts.state.mode = 'hang'; // a TCP connection to STS that never answers (no requestTimeout on the STS client)
    void credentials();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sts.state.calls).toBe(1);
    // Two hours later STS answers again: a caller should get a fresh AssumeRole, not the first call's hung promise
    // (expiresAt was set to +Infinity while it was in flight, so no later call ever asks again).
    clock.now += 2 * HOUR;
    sts.state.mode = 'answer';
    const later = credentials();
    const outcome = await Promise.race([
      later.then((c) => c.accessKeyId),
      new Promise((resolve) => setTimeout(() => resolve('still waiting on the hung AssumeRole'), 200)),
    ]);
    expect(outcome).toBe('ASIA2');
  });
});
