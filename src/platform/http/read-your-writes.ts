import { HttpError } from './problem.js';

export interface ReadYourWritesOptions {
  /** How long to wait for the read model; AWS's stream-to-Lambda lag is typically hundreds of ms. */
  timeoutMs?: number | undefined;
  stepMs?: number;
}

/**
 * For a list that must include the caller's own write: waits, bounded, until the read model has applied the
 * stream up to `version` (the version the consistent access check saw). Past the bound it answers 503 with
 * Retry-After — never a silently stale list. Single resources do not come here: they are answered from the
 * state the access check loaded.
 */
export async function readYourWrites(
  version: number,
  appliedVersion: () => Promise<number | undefined>,
  options: ReadYourWritesOptions = {},
): Promise<void> {
  const { timeoutMs = 1500, stepMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const applied = (await appliedVersion()) ?? 0;
    if (applied >= version) return;
    if (Date.now() >= deadline) {
      throw new HttpError(
        503,
        'Service Unavailable',
        `the list is not up to date yet (it shows version ${applied} of ${version}); retry shortly`,
        undefined,
        { headers: { 'retry-after': '1' } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
