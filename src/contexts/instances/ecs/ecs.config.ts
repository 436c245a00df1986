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
    return { ...parsed.data, placements };
  } catch (error) {
    throw new Error(`invalid environment for ECS control: ${(error as Error).message}`, { cause: error });
  }
}
