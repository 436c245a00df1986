import type { InstanceEnvironment } from '../domain/instance.events.js';

/** `arn:<partition>:<service>:<region>:<account>:...`: the account, when the ARN names one. */
const ARN_ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\//;

/** The account an ARN is in (undefined: not an ARN, or one without an account, as S3's). */
export const accountOfArn = (arn: string): string | undefined => ARN_ACCOUNT.exec(arn)?.[1];

/**
 * The account a workload environment runs in: its `roleArn`'s (WORKLOAD_ENVIRONMENTS, provisioner/settings.ts),
 * the role the control plane acts through there. No role: a single-account stage, undefined, and no account is
 * checked beyond the naming rule. (ECS control has its own `environmentAccount`, which falls back to the control
 * plane's account: to be merged.)
 */
export function accountOfEnvironment(
  workload: { roleArn?: string | undefined } | undefined,
): string | undefined {
  if (workload?.roleArn === undefined) return undefined;
  const account = ROLE_ARN.exec(workload.roleArn)?.[1];
  if (!account) throw new RangeError(`not an IAM role ARN: ${workload.roleArn}`);
  return account;
}

/** Each environment's account, where one is known. */
export function environmentAccounts(
  workloads: Partial<Record<InstanceEnvironment, { roleArn?: string | undefined }>>,
): Partial<Record<InstanceEnvironment, string>> {
  return Object.fromEntries(
    Object.entries(workloads).flatMap(([environment, workload]) => {
      const account = accountOfEnvironment(workload);
      return account === undefined ? [] : [[environment, account]];
    }),
  );
}
