import { describe, expect, it } from 'vitest';
import {
  accountOfArn,
  accountOfEcsArn,
  accountOfEnvironment,
  assertControlRole,
  clusterArn,
  inCluster,
  workloadPlacements,
} from './workloads.js';

describe('workload environments', () => {
  it("an environment's account is its role ARN's, else the control plane's own", () => {
    expect(
      accountOfEnvironment({ roleArn: 'arn:aws:iam::333333333333:role/bbws-control-prod' }, '000000000000'),
    ).toBe('333333333333');
    expect(
      accountOfEnvironment({ roleArn: 'arn:aws:iam::333333333333:role/ops/bbws-control-prod' }, undefined),
    ).toBe('333333333333');
    expect(accountOfEnvironment({}, '000000000000')).toBe('000000000000');
    expect(accountOfEnvironment({}, undefined)).toBeUndefined();
    expect(() => accountOfEnvironment({ roleArn: 'arn:aws:iam::12:role/x' }, '000000000000')).toThrow(
      RangeError,
    );
  });

  it('the cluster ARN in that account; the account of an ECS ARN', () => {
    expect(clusterArn('af-south-1', '111111111111', 'bbws-dev')).toBe(
      'arn:aws:ecs:af-south-1:111111111111:cluster/bbws-dev',
    );
    expect(accountOfEcsArn('arn:aws:ecs:af-south-1:111111111111:service/bbws-dev/x')).toBe('111111111111');
    expect(accountOfEcsArn('not-an-arn')).toBeUndefined();
  });

  it('refuses a role the functions are not granted to assume (only bbws-control-<env>)', () => {
    expect(() => assertControlRole('dev', 'arn:aws:iam::111111111111:role/bbws-control-dev')).not.toThrow();
    expect(() => assertControlRole('dev', 'arn:aws:iam::111111111111:role/bbws-control-prod')).toThrow(
      /must name the role bbws-control-dev/,
    );
    expect(() => assertControlRole('sit', 'arn:aws:iam::222222222222:role/admin')).toThrow(RangeError);
  });

  it('without a control plane account given, an environment without a role has none', () => {
    expect(accountOfEnvironment(undefined)).toBeUndefined();
    expect(accountOfEnvironment({})).toBeUndefined();
    expect(accountOfArn('arn:aws:ecs:af-south-1:123456789012:service/c/s')).toBe('123456789012');
    expect(accountOfArn('arn:aws:s3:::bucket')).toBeUndefined();
  });

  it('a service is in a cluster when its ARN is under the cluster ARN: same partition, region, account, cluster', () => {
    const cluster = 'arn:aws:ecs:af-south-1:111111111111:cluster/bbws-dev';
    expect(
      inCluster('arn:aws:ecs:af-south-1:111111111111:service/bbws-dev/bbws-dev-tenant-t1', cluster),
    ).toBe(true);
    for (const other of [
      'arn:aws:ecs:af-south-1:111111111111:service/bbws-prod/bbws-dev-tenant-t1',
      'arn:aws:ecs:eu-west-1:111111111111:service/bbws-dev/bbws-dev-tenant-t1',
      'arn:aws:ecs:af-south-1:222222222222:service/bbws-dev/bbws-dev-tenant-t1',
      'arn:aws:ecs:af-south-1:111111111111:service/bbws-dev-2/bbws-dev-tenant-t1',
      'arn:aws:ecs:af-south-1:111111111111:service/bbws-dev',
    ])
      expect(inCluster(other, cluster), other).toBe(false);
  });

  it('refuses a role with a path: the grant (iam::<account>:role/bbws-control-<env>) does not cover it', () => {
    expect(() => assertControlRole('dev', 'arn:aws:iam::111111111111:role/ops/bbws-control-dev')).toThrow(
      /without a path/,
    );
  });

  it("a cluster ARN must be in the environment's account and region", () => {
    const arn = 'arn:aws:ecs:af-south-1:111111111111:cluster/bbws-dev';
    expect(clusterArn('af-south-1', '111111111111', arn)).toBe(arn);
    expect(() => clusterArn('af-south-1', '999999999999', arn)).toThrow(RangeError);
    expect(() => clusterArn('eu-west-1', '111111111111', arn)).toThrow(RangeError);
    expect(() => clusterArn('af-south-1', '111111111111', 'arn:aws:ecs:af-south-1:1:service/x')).toThrow(
      /not an ECS cluster ARN/,
    );
  });

  it("places each environment in its account, its Terraform's region (else the control plane's), its cluster", () => {
    const placements = workloadPlacements(
      {
        dev: {
          cluster: 'bbws-dev',
          roleArn: 'arn:aws:iam::111111111111:role/bbws-control-dev',
          infrastructure: { awsRegion: 'eu-west-1' },
        },
        sit: { cluster: 'bbws-sit' },
      },
      { account: '000000000000', region: 'af-south-1' },
    );
    expect(placements).toEqual({
      dev: {
        account: '111111111111',
        region: 'eu-west-1',
        clusterArn: 'arn:aws:ecs:eu-west-1:111111111111:cluster/bbws-dev',
      },
      sit: {
        account: '000000000000',
        region: 'af-south-1',
        clusterArn: 'arn:aws:ecs:af-south-1:000000000000:cluster/bbws-sit',
      },
    });
    expect(() =>
      workloadPlacements(
        {
          dev: {
            cluster: 'arn:aws:ecs:af-south-1:999999999999:cluster/bbws-dev',
            roleArn: 'arn:aws:iam::111111111111:role/bbws-control-dev',
          },
        },
        { account: '000000000000', region: 'af-south-1' },
      ),
    ).toThrow(/WORKLOAD_ENVIRONMENTS\.dev\.cluster/);
    expect(() =>
      workloadPlacements(
        { dev: { cluster: 'bbws-dev', roleArn: 'arn:aws:iam::111111111111:role/ops/bbws-control-dev' } },
        { account: '000000000000', region: 'af-south-1' },
      ),
    ).toThrow(/WORKLOAD_ENVIRONMENTS\.dev\.roleArn/);
  });
});
