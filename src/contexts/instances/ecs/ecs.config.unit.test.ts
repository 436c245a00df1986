import { describe, expect, it } from 'vitest';
import { loadEcsConfig } from './ecs.config.js';

const repository = { owner: 'bbws', name: 'env', url: 'http://127.0.0.1:1/env.git' };
const environments = {
  dev: {
    repository,
    cluster: 'bbws-dev',
    roleArn: 'arn:aws:iam::111111111111:role/bbws-control-dev',
  },
  sit: {
    repository,
    cluster: 'bbws-sit',
    roleArn: 'arn:aws:iam::111111111111:role/bbws-control-sit',
  },
  prod: {
    repository,
    cluster: 'bbws-prod',
    roleArn: 'arn:aws:iam::333333333333:role/bbws-control-prod',
  },
};
const env = (extra: Record<string, string> = {}) => ({
  AWS_REGION: 'af-south-1',
  CONTROL_PLANE_ACCOUNT: '000000000000',
  WORKLOAD_ENVIRONMENTS: JSON.stringify(environments),
  ...extra,
});

describe('ECS configuration: the workload accounts the stack admits', () => {
  it('takes WORKLOAD_ACCOUNT_IDS holding every account reached through a role (an extra one is harmless)', () => {
    const config = loadEcsConfig(env({ WORKLOAD_ACCOUNT_IDS: '111111111111,333333333333,444444444444' }));
    expect(config.WORKLOAD_ACCOUNT_IDS).toEqual(['111111111111', '333333333333', '444444444444']);
    expect(config.placements.prod?.account).toBe('333333333333');
  });

  it('refuses a list that lacks an environment’s account, naming the environment, the account and the list', () => {
    expect(() => loadEcsConfig(env({ WORKLOAD_ACCOUNT_IDS: '111111111111' }))).toThrow(
      /WORKLOAD_ACCOUNT_IDS .*111111111111\) lacks 333333333333, the account of WORKLOAD_ENVIRONMENTS\.prod\.roleArn/,
    );
  });

  it('refuses an item that is not an account id, spaces around one included (kept so in the policies)', () => {
    expect(() => loadEcsConfig(env({ WORKLOAD_ACCOUNT_IDS: '111111111111,prod' }))).toThrow(
      /WORKLOAD_ACCOUNT_IDS\.1: not a 12-digit account id/,
    );
    expect(() => loadEcsConfig(env({ WORKLOAD_ACCOUNT_IDS: '111111111111, 333333333333' }))).toThrow(
      /WORKLOAD_ACCOUNT_IDS\.1: not a 12-digit account id/,
    );
  });

  it('a single-account environment (no roleArn) needs no listed account; without the variable nothing is checked', () => {
    const single = JSON.stringify({
      dev: { repository, cluster: 'bbws-dev' },
      sit: { repository, cluster: 'bbws-sit' },
      prod: { repository, cluster: 'bbws-prod' },
    });
    expect(
      loadEcsConfig(env({ WORKLOAD_ENVIRONMENTS: single, WORKLOAD_ACCOUNT_IDS: '111111111111' })).placements
        .dev?.account,
    ).toBe('000000000000');
    expect(loadEcsConfig(env()).WORKLOAD_ACCOUNT_IDS).toBeUndefined();
  });
});
