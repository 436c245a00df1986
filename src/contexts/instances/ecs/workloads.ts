import type { InstanceEnvironment } from '../domain/instance.events.js';
import { controlRoleName } from './workload-account.js';

/** What ECS control and the state sync read of a workload environment (provisioner/settings.ts parses it). */
export interface WorkloadTarget {
  cluster: string;
  roleArn?: string | undefined;
}

const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

/**
 * The account a workload environment runs in: its role ARN's account (the role is what the control plane acts
 * through there: one source of truth), else — no role, a single-account stage — the control plane's own account
 * (undefined when that is not known either).
 */
export function environmentAccount(
  workload: Pick<WorkloadTarget, 'roleArn'>,
  controlPlaneAccount: string | undefined,
): string | undefined {
  if (workload.roleArn === undefined) return controlPlaneAccount;
  const account = ROLE_ARN.exec(workload.roleArn)?.[1];
  if (!account) throw new RangeError(`not an IAM role ARN: ${workload.roleArn}`);
  return account;
}

/** The account of an ECS ARN (`arn:aws:ecs:<region>:<account>:...`), if it is one. */
export const accountOfEcsArn = (arn: string): string | undefined =>
  /^arn:aws[\w-]*:ecs:[\w-]*:(\d{12}):/.exec(arn)?.[1];

/** The cluster's ARN in the environment's account. */
export const clusterArn = (region: string, account: string, cluster: string): string =>
  cluster.startsWith('arn:') ? cluster : `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;

/**
 * Refuses a role the functions' own policy cannot assume: they are granted `sts:AssumeRole` on the role name
 * `bbws-control-<env>` only (ecs/deployables.ts), so any other name would fail at the first call, later and less
 * clearly.
 */
export function assertControlRole(environment: InstanceEnvironment, roleArn: string): void {
  const name = ROLE_ARN.exec(roleArn)?.[2];
  if (name !== controlRoleName(environment))
    throw new RangeError(
      `WORKLOAD_ENVIRONMENTS.${environment}.roleArn must name the role ${controlRoleName(environment)} ` +
        `(infra/workload-account.template.json creates it), got ${roleArn}`,
    );
}
