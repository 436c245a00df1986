import { defaultRetryPolicy, type RetryPolicy } from '#src/platform/command/retry.js';
import type { BusEntry } from './integration-events.js';

/** PutEvents: one result per entry, in order; an entry with an errorCode was not accepted. */
export interface EventBus {
  putEvents(entries: BusEntry[]): Promise<{ errorCode?: string | undefined }[]>;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

/**
 * Publishes in batches of 10 (PutEvents' limit). A call can succeed while some entries fail: only the failed
 * entries are sent again, with backoff. Entries still failing after the retries raise PublishError naming the
 * first one, so the stream consumer redelivers from its record: delivery is at least once, never lossy.
 */
export async function publish(
  bus: EventBus,
  entries: BusEntry[],
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<void> {
  for (let start = 0; start < entries.length; start += 10) {
    let pending = entries.slice(start, start + 10);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const results = await bus
        .putEvents(pending)
        .catch((error: unknown) => pending.map(() => ({ errorCode: String(error) })));
      const failed = pending.filter((_, i) => results[i]?.errorCode !== undefined);
      if (failed.length === 0) break;
      if (attempt >= retry.attempts) {
        const firstError = results.find((r) => r.errorCode)?.errorCode;
        throw new PublishError(
          `${failed.length} entries not accepted after ${attempt} attempts (${firstError})`,
        );
      }
      pending = failed;
      await retry.sleep(Math.floor(retry.random() * retry.baseDelayMs * 2 ** attempt));
    }
  }
}
