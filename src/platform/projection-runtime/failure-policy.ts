import { TransientStoreError } from '#src/platform/event-store/errors.js';

/**
 * What a stream consumer does with a failure, decided before Lambda could give up on the record.
 *
 * The event source mappings retry until the record expires (24 hours, `maximumRetryAttempts: -1`), so Lambda
 * never drops a record first. The handler parks (whole event, error, attempts) instead of retrying for ever:
 * - a poison failure (deterministic: a projection bug, a malformed entry) after `maxAttempts` attempts;
 * - any failure, transient ones included (throttling, 5xx, timeouts), once the record is older than
 *   `parkAfterMs`. Until then a transient failure is retried by Lambda and needs no operator.
 */
export interface FailurePolicy {
  maxAttempts: number;
  parkAfterMs: number;
}

export type FailureKind = 'transient' | 'poison';

export function verdict(
  policy: FailurePolicy,
  failure: { kind: FailureKind; attempts: number; ageMs: number },
): 'retry' | 'park' {
  if (failure.ageMs >= policy.parkAfterMs) return 'park';
  if (failure.kind === 'poison' && failure.attempts >= policy.maxAttempts) return 'park';
  return 'retry';
}

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

/**
 * True for failures that say nothing about the event: the same call may succeed later. AWS SDK errors carry
 * their HTTP status (5xx and 429 are the service's trouble) and `$retryable`; Node network errors their code.
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (error instanceof TransientStoreError) return true;
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as ErrorShape;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = Number(e.$metadata?.httpStatusCode);
  if (status >= 500 || status === 429) return true;
  return isTransient(e.cause, depth + 1);
}

/** `name: message` and the stack: what an operator reads in `bbws parked list`. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
