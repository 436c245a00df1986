import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Adversarial review of ECS control's wiring (commit 521ff2d): what it derives from WORKLOAD_ENVIRONMENTS.

vi.mock('#src/platform/wiring.js', () => ({ eventStore: () => ({}), runner: () => ({}) }));

const TENANT = '01JQ8ZZZZZZZZZZZZZZZZZZZZZ';
const repository = { owner: 'bbws', name: 'env', url: 'https://github.com/bbws/env.git' };
const environments = (dev: Record<string, unknown>) =>
  JSON.stringify({
    dev: { repository, ...dev },
    sit: { repository, cluster: 'bbws-sit', roleArn: 'arn:aws:iam::222222222222:role/bbws-control-sit' },
    prod: { repository, cluster: 'bbws-prod', roleArn: 'arn:aws:iam::333333333333:role/bbws-control-prod' },
  });

async function namedDevService(dev: Record<string, unknown>): Promise<string | undefined> {
  vi.stubEnv('AWS_REGION', 'af-south-1');
  vi.stubEnv('CONTROL_PLANE_ACCOUNT', '000000000000');
  vi.stubEnv('WORKLOAD_ENVIRONMENTS', environments(dev));
  const { ecsControlDependencies } = await import('./wiring.js');
  return ecsControlDependencies().namedService?.('dev', TENANT);
}

describe("ECS control's named service per environment (review)", () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => vi.unstubAllEnvs());

  it("is not put in another account than the environment's role's by a cluster given as an ARN", async () => {
    const named = await namedDevService({
      cluster: 'arn:aws:ecs:af-south-1:999999999999:cluster/bbws-dev',
      roleArn: 'arn:aws:iam::111111111111:role/bbws-control-dev',
    }).catch((error: Error) => error);
    // clusterArn() passed an ARN through as it is: the fallback service ARN was in 999999999999 while the state
    // sync and the deploy-outcome webhook take 111111111111 for dev's account. Expected: refused at load (or the
    // named service undefined), never an ARN of another account. (Fixed: refused at load, naming the field.)
    if (named instanceof Error) expect(named.message).toMatch(/WORKLOAD_ENVIRONMENTS\.dev\.cluster/);
    else expect(named === undefined || named.includes(':111111111111:')).toBe(true);
  });

  it("is in the region the environment's Terraform deploys to (infrastructure.awsRegion)", async () => {
    const named = await namedDevService({
      cluster: 'bbws-dev',
      roleArn: 'arn:aws:iam::111111111111:role/bbws-control-dev',
      infrastructure: {
        awsRegion: 'eu-west-1',
        stateBucket: 'bbws-terraform-state-dev',
        lockTable: 'bbws-terraform-locks-dev',
        sharedStateKey: 'shared/terraform.tfstate',
      },
    });
    // The provisioner's folder deploys the service to eu-west-1 (folder.ts: infrastructure.awsRegion), ECS control
    // looks for it (and its clients call) in the control plane's AWS_REGION: DescribeServices finds nothing and the
    // plan is dropped with a WARN ('service not found: nothing to control'): a suspension that suspends nothing.
    expect(named).toBe(`arn:aws:ecs:eu-west-1:111111111111:service/bbws-dev/bbws-dev-tenant-${TENANT}`);
  });
});
