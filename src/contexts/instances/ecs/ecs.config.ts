import { z } from 'zod';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import { WorkloadEnvironments } from '../provisioner/settings.js';
import { type WorkloadPlacement, workloadPlacements } from './workloads.js';

const unset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * The environment ECS control and the ECS state sync read, parsed once (the ECS adapters' part of the
 * configuration, kept beside them: src/platform/config holds the platform's own). In AWS the endpoints are unset;
 * locally they point at the ECS + Application Auto Scaling stand-in and the STS stand-in.
 */
const EcsEnv = z.object({
  AWS_REGION: z.string().default('af-south-1'),
  ECS_ENDPOINT: unset(z.url()),
  APPLICATION_AUTOSCALING_ENDPOINT: unset(z.url()),
  STS_ENDPOINT: unset(z.url()),
  /**
   * The workload environments, the same JSON (and SSM parameter) the provisioner reads: each one's cluster and the
   * role the control plane assumes there (its account is the role's), so cluster and role are kept once.
   */
  WORKLOAD_ENVIRONMENTS: WorkloadEnvironments,
  /** The stack's own account: an environment without a roleArn (a single-account stage) is in it. */
  CONTROL_PLANE_ACCOUNT: unset(z.string().regex(/^\d{12}$/)),
  /**
   * The workload accounts the stack admits (its WorkloadAccountIds, the SSM list `/bbws/<stage>/workload-account-ids`,
   * comma-joined): the AssumeRole grant's `aws:ResourceAccount` and the default bus's policy are built on it.
   */
  WORKLOAD_ACCOUNT_IDS: unset(
    z
      .string()
      // not trimmed: an id with spaces around it would be kept so in the grant's condition and the bus policy
      .transform((list) => list.split(','))
      .pipe(z.array(z.string().regex(/^\d{12}$/, 'not a 12-digit account id'))),
  ),
});
export type EcsConfig = z.infer<typeof EcsEnv> & {
  /**
   * Each environment's account, region (its infrastructure.awsRegion, else AWS_REGION) and cluster ARN, checked
   * here: a roleArn other than bbws-control-<env> at the root path, or a cluster ARN of another account or region
   * than the environment's, is refused when the configuration is read.
   */
  placements: Partial<Record<InstanceEnvironment, WorkloadPlacement>>;
};

export function loadEcsConfig(env: NodeJS.ProcessEnv = process.env): EcsConfig {
  const parsed = EcsEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment for ECS control: ${issue?.path.join('.')}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  try {
    const placements = workloadPlacements(parsed.data.WORKLOAD_ENVIRONMENTS, {
      account: parsed.data.CONTROL_PLANE_ACCOUNT,
      region: parsed.data.AWS_REGION,
    });
    admittedAccounts(parsed.data, placements);
    return { ...parsed.data, placements };
  } catch (error) {
    throw new Error(`invalid environment for ECS control: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Every environment reached through a role must be in an account the stack admits: the account ids are kept twice
 * (in the roles' ARNs of WORKLOAD_ENVIRONMENTS and in the WorkloadAccountIds list the grant and the bus policy are
 * built on), and an account missing from the list would have its AssumeRole denied and its ECS events refused by
 * this account's bus. Refused when the configuration is read, naming both. (An account listed that no environment
 * uses is harmless: its events are ignored, logged by the state sync.)
 */
function admittedAccounts(
  env: z.infer<typeof EcsEnv>,
  placements: Partial<Record<InstanceEnvironment, WorkloadPlacement>>,
): void {
  const admitted = env.WORKLOAD_ACCOUNT_IDS;
  if (admitted === undefined) return;
  for (const [environment, workload] of Object.entries(env.WORKLOAD_ENVIRONMENTS)) {
    const account = placements[environment as InstanceEnvironment]?.account;
    if (!workload?.roleArn || account === undefined || admitted.includes(account)) continue;
    throw new RangeError(
      `WORKLOAD_ACCOUNT_IDS (the stack's WorkloadAccountIds, /bbws/<stage>/workload-account-ids: ${admitted.join(', ')}) ` +
        `lacks ${account}, the account of WORKLOAD_ENVIRONMENTS.${environment}.roleArn: the role could not be assumed ` +
        "and the environment's ECS events would be refused by this account's default bus",
    );
  }
}
