import { TransientStoreError } from '#src/platform/event-store/errors.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  /** 0..1, injected so tests are deterministic */
  random: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 8,
  baseDelayMs: 10,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Retries throttling and transaction conflicts (nothing was written) with full-jitter exponential backoff. */
export async function withTransientRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof TransientStoreError) || attempt >= policy.attempts) throw error;
      await policy.sleep(Math.floor(policy.random() * policy.baseDelayMs * 2 ** attempt));
    }
  }
}
