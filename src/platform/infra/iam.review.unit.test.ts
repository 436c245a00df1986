import { describe, expect, it } from 'vitest';
import { ecsDeployables } from '#src/contexts/instances/ecs/deployables.js';
import { assertControlRole } from '#src/contexts/instances/ecs/workloads.js';
import { executionRole } from './iam.js';

// Adversarial review of the `sts` Permission (commit 521ff2d) and of the role check that goes with it.

type Statement = { Action: string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

function assumeStatements(functionName: string): Statement[] {
  const fn = ecsDeployables.functions.find((f) => f.name === functionName);
  if (!fn) throw new Error(`no function ${functionName}`);
  const role = executionRole(fn, 'prod') as {
    Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] };
  };
  return role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) =>
    s.Action.includes('sts:AssumeRole'),
  );
}

describe('sts:AssumeRole grant of ECS control and the state sync (review)', () => {
  it.each(['ecsControl', 'ecsStateSync'])(
    '%s may assume bbws-control-<env> only in the workload accounts, not in any account',
    (name) => {
      const [statement] = assumeStatements(name);
      expect(statement).toBeDefined();
      // Today: Resource arn:${AWS::Partition}:iam::*:role/bbws-control-<env>, no Condition. The trust policy on the
      // other side is what stops a stranger's role, but nothing on this side stops these functions' credentials
      // from being exchanged for a role of an account outside the organisation (a data-perimeter hole: a tampered
      // WORKLOAD_ENVIRONMENTS or code execution in the function sends work/data to an attacker's account). The
      // stack already resolves WorkloadAccountIds (the bus policy's SSM list): it can confine the grant.
      const resources = JSON.stringify(statement?.Resource);
      const confinedByArn = !resources.includes('iam::*:');
      const confinedByCondition = JSON.stringify(statement?.Condition ?? {}).includes('aws:ResourceAccount');
      expect(confinedByArn || confinedByCondition).toBe(true);
    },
  );
});

describe('assertControlRole (review)', () => {
  it('refuses a role ARN with a path, which the iam::*:role/bbws-control-<env> grant does not match', () => {
    // settings.ts accepts role/<path>/<name>; the grant's resource has no path, so AssumeRole would be denied at
    // the first message: exactly what assertControlRole says it exists to catch early.
    expect(() => assertControlRole('dev', 'arn:aws:iam::111111111111:role/ops/bbws-control-dev')).toThrow(
      RangeError,
    );
  });
});
