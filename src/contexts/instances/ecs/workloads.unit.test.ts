import { describe, expect, it } from 'vitest';
import { accountOfEcsArn, assertControlRole, clusterArn, environmentAccount } from './workloads.js';

describe('workload environments', () => {
  it("an environment's account is its role ARN's, else the control plane's own", () => {
    expect(
      environmentAccount({ roleArn: 'arn:aws:iam::333333333333:role/bbws-control-prod' }, '000000000000'),
    ).toBe('333333333333');
    expect(
      environmentAccount({ roleArn: 'arn:aws:iam::333333333333:role/ops/bbws-control-prod' }, undefined),
    ).toBe('333333333333');
    expect(environmentAccount({}, '000000000000')).toBe('000000000000');
    expect(environmentAccount({}, undefined)).toBeUndefined();
    expect(() => environmentAccount({ roleArn: 'arn:aws:iam::12:role/x' }, '000000000000')).toThrow(
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
});
