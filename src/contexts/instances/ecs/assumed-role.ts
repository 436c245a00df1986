import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/** The SDK's credential identity (@smithy/types' AwsCredentialIdentity, not a dependency of its own here). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface AssumedRoleOptions {
  sts: Pick<STSClient, 'send'>;
  roleArn: string;
  /** Names the function in the role session's ARN and in the workload account's CloudTrail. */
  sessionName: string;
  /** Fetched again this long before they expire (default 5 minutes). */
  refreshBeforeMs?: number;
  /** 900..3600: a Lambda function's role is itself a session, so this is role chaining (1 hour at most). */
  durationSeconds?: number;
  now?: () => number;
}

export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * A credential provider for the SDK clients of one workload environment: the role's temporary credentials from
 * STS AssumeRole, kept until `refreshBeforeMs` before they expire, then fetched again. Callers at the same moment
 * share one AssumeRole; a failed one is not kept (the next call asks again).
 */
export function assumedRoleCredentials(options: AssumedRoleOptions): () => Promise<AwsCredentialIdentity> {
  const now = options.now ?? Date.now;
  const refreshBefore = options.refreshBeforeMs ?? REFRESH_BEFORE_MS;
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expiresAt = 0;
  const fetch = async (): Promise<AwsCredentialIdentity> => {
    const out = await options.sts.send(
      new AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName,
        DurationSeconds: options.durationSeconds ?? 3600,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new Error(`AssumeRole ${options.roleArn} answered without credentials`);
    expiresAt = c.Expiration.getTime();
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  };
  return () => {
    if (!current || now() >= expiresAt - refreshBefore) {
      const fetching = fetch();
      current = fetching;
      expiresAt = Number.POSITIVE_INFINITY; // until it answers, callers share this fetch
      fetching.catch(() => {
        if (current === fetching) {
          current = undefined;
          expiresAt = 0;
        }
      });
    }
    return current;
  };
}
