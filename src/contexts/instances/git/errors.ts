/** The remote answered with an HTTP error or something that is not the git protocol (never carries a token). */
export class GitRemoteError extends Error {
  override readonly name = 'GitRemoteError';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The remote refused the ref update for a reason a rebuild on a fresh head does not fix (a hook, a rule). */
export class GitPushRejectedError extends Error {
  override readonly name = 'GitPushRejectedError';
  constructor(
    readonly ref: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`push to ${ref} rejected: ${reason}`, options);
  }
}

/** Every attempt found someone else's push in between; `cause` is the last rejection. */
export class GitPushRetriesExhaustedError extends Error {
  override readonly name = 'GitPushRetriesExhaustedError';
  constructor(
    readonly folder: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(`commit of ${folder} not pushed: the head moved under each of ${attempts} attempts`, options);
  }
}
