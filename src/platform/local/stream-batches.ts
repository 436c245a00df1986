/**
 * Lambda's retry rules for a stream batch, as pure transitions (the stream poller runs them). Documented by AWS:
 * a function error retries the batch until it succeeds, its records expire or exceed MaximumRecordAgeInSeconds,
 * or MaximumRetryAttempts is reached (-1: no limit); with BisectBatchOnFunctionError a failed batch is split in
 * two and "splitting batches doesn't consume the retry quota"; with ReportBatchItemFailures Lambda retries from
 * the lowest reported sequence number.
 *
 * Not documented, and assumed here (docs/operations.md): each half is split again while it fails and holds more
 * than one record; a half inherits the retries its batch had used; a batch of one record (or any batch without
 * bisect) consumes one retry per failed invocation; a partial failure (batchItemFailures) consumes one retry and
 * the retry holds the failed record and everything after it (with bisect, AWS says the batch is "bisected at the
 * returned sequence number", which is the same set); halves are processed in order, the second after the first
 * is done or discarded.
 */
export interface Batch<R> {
  records: R[];
  /** retries consumed so far */
  retries: number;
}

export type InvokeOutcome = { ok: true } | { failedAt: number } | { error: unknown };

export interface RetrySettings {
  /** -1: until the records expire */
  maximumRetryAttempts: number;
  bisect: boolean;
}

export interface Transition<R> {
  /** batches to run next, in order, before anything else */
  next: Batch<R>[];
  /** records given up on (their metadata goes to the on-failure destination) */
  discard?: Batch<R>;
  /** wait before the next invocation (a retry, not a split) */
  backoff: boolean;
}

const exhausted = (settings: RetrySettings, retries: number) =>
  settings.maximumRetryAttempts >= 0 && retries > settings.maximumRetryAttempts;

export function afterInvoke<R>(
  batch: Batch<R>,
  outcome: InvokeOutcome,
  settings: RetrySettings,
): Transition<R> {
  if ('ok' in outcome) return { next: [], backoff: false };
  if ('error' in outcome && settings.bisect && batch.records.length > 1) {
    const half = Math.ceil(batch.records.length / 2);
    return {
      next: [
        { records: batch.records.slice(0, half), retries: batch.retries },
        { records: batch.records.slice(half), retries: batch.retries },
      ],
      backoff: false,
    };
  }
  const records = 'failedAt' in outcome ? batch.records.slice(outcome.failedAt) : batch.records;
  const retried = { records, retries: batch.retries + 1 };
  if (exhausted(settings, retried.retries)) return { next: [], discard: retried, backoff: false };
  return { next: [retried], backoff: true };
}

/** Splits off the records (oldest first) older than the age limit: Lambda discards them before invoking. */
export function splitExpired<R>(
  records: R[],
  ageOf: (record: R) => number,
  maxAgeMs: number | undefined,
): { expired: R[]; fresh: R[] } {
  if (maxAgeMs === undefined) return { expired: [], fresh: records };
  const firstFresh = records.findIndex((r) => ageOf(r) <= maxAgeMs);
  return firstFresh < 0
    ? { expired: records, fresh: [] }
    : { expired: records.slice(0, firstFresh), fresh: records.slice(firstFresh) };
}
