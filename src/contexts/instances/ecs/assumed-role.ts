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
  /** How long one AssumeRole may take (default 10 s): then it is aborted, and the last credentials used if valid. */
  timeoutMs?: number;
  /** 900..3600: a Lambda function's role is itself a session, so this is role chaining (1 hour at most). */
  durationSeconds?: number;
  now?: () => number;
}

export const REFRESH_BEFORE_MS = 5 * 60_000;
/** How long one AssumeRole may take before it is abandoned (aborted) and a caller's next call asks again. */
export const ASSUME_TIMEOUT_MS = 10_000;

/**
 * A credential provider for the SDK clients of one workload environment: the role's temporary credentials from
 * STS AssumeRole, kept until `refreshBeforeMs` before they expire, then fetched again. Callers at the same moment
 * share one AssumeRole; a failed one is not kept (the next call asks again). A refresh that fails (or takes longer
 * than `timeoutMs`: it is aborted) while the last credentials are still valid hands those to its callers: only
 * once they have expired does a failed AssumeRole fail the call. An AssumeRole older than `timeoutMs` by the clock is
 * never waited on again (a hung connection cannot wedge the provider).
 */
export function assumedRoleCredentials(options: AssumedRoleOptions): () => Promise<AwsCredentialIdentity> {
  const now = options.now ?? Date.now;
  const refreshBefore = options.refreshBeforeMs ?? REFRESH_BEFORE_MS;
  const timeoutMs = options.timeoutMs ?? ASSUME_TIMEOUT_MS;
  let last: (AwsCredentialIdentity & { expiration: Date }) | undefined;
  let inflight:
    | { promise: Promise<AwsCredentialIdentity>; startedAt: number; abort: AbortController }
    | undefined;

  const assume = async (abort: AbortController): Promise<AwsCredentialIdentity> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = Object.assign(
          new Error(`AssumeRole ${options.roleArn}: no answer within ${timeoutMs} ms`),
          {
            name: 'TimeoutError',
          },
        );
        abort.abort(error);
        reject(error);
      }, timeoutMs);
      timer.unref?.();
    });
    try {
      const out = await Promise.race([
        options.sts.send(
          new AssumeRoleCommand({
            RoleArn: options.roleArn,
            RoleSessionName: options.sessionName,
            DurationSeconds: options.durationSeconds ?? 3600,
          }),
          { abortSignal: abort.signal },
        ),
        deadline,
      ]);
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
        throw new Error(`AssumeRole ${options.roleArn} answered without credentials`);
      const fresh = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
      if (!last || fresh.expiration.getTime() >= last.expiration.getTime()) last = fresh;
      return fresh;
    } finally {
      clearTimeout(timer);
    }
  };

  const start = () => {
    const abort = new AbortController();
    const promise = assume(abort);
    const current = { promise, startedAt: now(), abort };
    inflight = current;
    const done = () => {
      if (inflight === current) inflight = undefined;
    };
    promise.then(done, done);
    return current;
  };

  return async () => {
    const t = now();
    if (last && t < last.expiration.getTime() - refreshBefore) return last;
    if (inflight && t - inflight.startedAt >= timeoutMs) {
      // By the clock, this AssumeRole has had its time: abandoned (its timer may not have run: a frozen clock).
      inflight.abort.abort(new Error(`AssumeRole ${options.roleArn}: abandoned after ${timeoutMs} ms`));
      inflight = undefined;
    }
    const { promise } = inflight ?? start();
    try {
      return await promise;
    } catch (error) {
      // The refresh failed; credentials that have not expired yet still work, as AWS accepts them until then.
      if (last && now() < last.expiration.getTime()) return last;
      throw error;
    }
  };
}
