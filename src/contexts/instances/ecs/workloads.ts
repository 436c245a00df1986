import type { InstanceEnvironment } from '../domain/instance.events.js';
import { controlRoleName } from './workload-account.js';

/**
 * The one place that says where a workload environment is: its account, region and cluster (ECS control, the state
 * sync and the provisioner's deploy-outcome webhook read them from here, through {@link workloadPlacements}).
 */

/** What is read here of a workload environment (WORKLOAD_ENVIRONMENTS, provisioner/settings.ts parses it). */
export interface WorkloadTarget {
  cluster: string;
  roleArn?: string | undefined;
  /** Where the environment's Terraform deploys (provisioner/folder.ts): its services are in this region. */
  infrastructure?: { awsRegion: string } | undefined;
}

/** `arn:<partition>:iam::<account>:role/<path/><name>`: the account and the name (the path, if any, dropped). */
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/;
/** `arn:<partition>:<service>:<region>:<account>:...`: the account, when the ARN names one. */
const ARN_ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;
const CLUSTER_ARN = /^arn:aws[\w-]*:ecs:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]+)$/;

/** The account an ARN is in (undefined: not an ARN, or one without an account, as S3's). */
export const accountOfArn = (arn: string): string | undefined => ARN_ACCOUNT.exec(arn)?.[1];

/** The account of an ECS ARN (`arn:aws:ecs:<region>:<account>:...`), if it is one. */
export const accountOfEcsArn = (arn: string): string | undefined =>
  /^arn:aws[\w-]*:ecs:[\w-]*:(\d{12}):/.exec(arn)?.[1];

/**
 * The account a workload environment runs in: its role ARN's account (the role is what the control plane acts
 * through there: one source of truth), else — no role, a single-account stage — `controlPlaneAccount` when given
 * (ECS control, the state sync and the deploy-outcome webhook pass the stack's CONTROL_PLANE_ACCOUNT), else
 * undefined.
 */
export function accountOfEnvironment(
  workload: Pick<WorkloadTarget, 'roleArn'> | undefined,
  controlPlaneAccount?: string | undefined,
): string | undefined {
  if (workload?.roleArn === undefined) return controlPlaneAccount;
  const account = ROLE_ARN.exec(workload.roleArn)?.[1];
  if (!account) throw new RangeError(`not an IAM role ARN: ${workload.roleArn}`);
  return account;
}

/** The region a workload environment's services are in: its Terraform's (infrastructure.awsRegion), else ours. */
export const regionOfEnvironment = (
  workload: Pick<WorkloadTarget, 'infrastructure'> | undefined,
  controlPlaneRegion: string,
): string => workload?.infrastructure?.awsRegion ?? controlPlaneRegion;

/**
 * The cluster's ARN in the environment's account and region. A cluster given as a full ARN must be that account's
 * and region's (RangeError otherwise): the state sync and the deploy-outcome webhook take the role's account for
 * the environment's, so a cluster elsewhere would put ECS control's calls in an account they never check.
 */
export function clusterArn(region: string, account: string, cluster: string): string {
  if (!cluster.startsWith('arn:')) return `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;
  const parsed = CLUSTER_ARN.exec(cluster);
  if (!parsed) throw new RangeError(`not an ECS cluster ARN: ${cluster}`);
  if (parsed[1] !== region || parsed[2] !== account)
    throw new RangeError(
      `the cluster ${cluster} is not in the environment's account ${account} and region ${region}`,
    );
  return cluster;
}

/**
 * Whether an ECS service ARN lies under the cluster `clusterArn` names
 * (`arn:<partition>:ecs:<region>:<account>:service/<cluster>/<name>`): the same account, region and cluster. The
 * state sync drops the facts of any other service, and the deploy-outcome webhook refuses to record one.
 */
export const inCluster = (serviceArn: string, clusterArn: string): boolean =>
  serviceArn.startsWith(`${clusterArn.replace(':cluster/', ':service/')}/`);

/**
 * Refuses a role the functions' own policy cannot assume: they are granted `sts:AssumeRole` on the role
 * `bbws-control-<env>` at the root path only (iam::<workload account>:role/bbws-control-<env>, ecs/deployables.ts),
 * so any other name, or a path, would fail at the first call, later and less clearly.
 */
export function assertControlRole(environment: InstanceEnvironment, roleArn: string): void {
  const parsed = ROLE_ARN.exec(roleArn);
  if (parsed?.[2] !== '' || parsed[3] !== controlRoleName(environment))
    throw new RangeError(
      `WORKLOAD_ENVIRONMENTS.${environment}.roleArn must name the role ${controlRoleName(environment)} without a ` +
        `path (infra/workload-account.template.json creates it), got ${roleArn}`,
    );
}

/** Where ECS control and the state sync act in each environment, checked once when the configuration is read. */
export interface WorkloadPlacement {
  account: string | undefined;
  region: string;
  /** Undefined when the account is not known (a single-account stage without CONTROL_PLANE_ACCOUNT). */
  clusterArn: string | undefined;
}

/**
 * Each environment's account, region and cluster ARN, with its role checked ({@link assertControlRole}) and a
 * cluster ARN refused outside them: a RangeError naming the field (`WORKLOAD_ENVIRONMENTS.<env>.<field>`).
 */
export function workloadPlacements(
  workloads: Partial<Record<InstanceEnvironment, WorkloadTarget>>,
  controlPlane: { account: string | undefined; region: string },
): Partial<Record<InstanceEnvironment, WorkloadPlacement>> {
  const placements: Partial<Record<InstanceEnvironment, WorkloadPlacement>> = {};
  for (const [name, workload] of Object.entries(workloads)) {
    const environment = name as InstanceEnvironment;
    const field = (key: string, error: unknown): never => {
      throw new RangeError(
        `WORKLOAD_ENVIRONMENTS.${environment}.${key}: ${error instanceof Error ? error.message : String(error)}`,
      );
    };
    let account: string | undefined;
    try {
      if (workload.roleArn !== undefined) assertControlRole(environment, workload.roleArn);
      account = accountOfEnvironment(workload, controlPlane.account);
    } catch (error) {
      field('roleArn', error);
    }
    const region = regionOfEnvironment(workload, controlPlane.region);
    let cluster: string | undefined;
    try {
      cluster = account === undefined ? undefined : clusterArn(region, account, workload.cluster);
    } catch (error) {
      field('cluster', error);
    }
    placements[environment] = { account, region, clusterArn: cluster };
  }
  return placements;
}
