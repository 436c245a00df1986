import type { RetryPolicy } from '#src/platform/command/retry.js';
import { DEFAULT_MAX_REQUEST_BYTES, requests } from './entry-size.js';
import type { BusEntry } from './integration-events.js';

/** PutEvents: one result per entry, in order; an entry with an errorCode was not accepted. */
export interface EventBus {
  putEvents(
    entries: BusEntry[],
  ): Promise<{ errorCode?: string | undefined; errorMessage?: string | undefined }[]>;
}

/** An entry EventBridge did not take: which one, why, and whether trying again later may help. */
export interface PublishFailure {
  index: number;
  errorCode: string;
  message: string;
  transient: boolean;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(`${errorCode}: ${message}`);
  }
}

/** Entry error codes that say nothing about the entry (AWS: "retry the entry"). */
const TRANSIENT_ENTRY_CODES = new Set([
  'InternalFailure',
  'ThrottlingException',
  'InternalException',
  'ServiceUnavailable',
]);

export interface PublishOptions {
  /** PutEvents' limit per request (all entries together). */
  maxRequestBytes?: number;
  /** Resending entries a call refused with a transient code; short: Lambda retries the record after it. */
  retry: RetryPolicy;
}

/**
 * Publishes entries in requests of at most 10 entries and `maxRequestBytes`. A call can succeed while some
 * entries fail: only those are sent again, with backoff, and only for transient codes. A call that fails as a
 * whole (throttled, 5xx, network: the SDK has retried it already) ends the publish: every entry not yet
 * accepted is reported. Returns what was not accepted; the caller retries or parks it.
 */
export async function publish(
  bus: EventBus,
  entries: readonly BusEntry[],
  options: PublishOptions,
): Promise<PublishFailure[]> {
  const indexed = entries.map((entry, index) => ({ ...entry, entry, index }));
  const chunks = requests(indexed, options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
  const failures: PublishFailure[] = [];
  for (const [n, chunk] of chunks.entries()) {
    const sent = await sendChunk(bus, chunk, options.retry);
    failures.push(...sent.failures);
    if (sent.callError) {
      // the service is not taking calls now: the later requests are not tried, they fail alike
      const rest = chunks.slice(n + 1).flat();
      failures.push(...rest.map(({ index }) => ({ index, ...(sent.callError as CallError) })));
      break;
    }
  }
  return failures.sort((a, b) => a.index - b.index);
}

type Indexed = { entry: BusEntry; index: number };
type CallError = Omit<PublishFailure, 'index'>;

async function sendChunk(
  bus: EventBus,
  chunk: Indexed[],
  retry: RetryPolicy,
): Promise<{ failures: PublishFailure[]; callError?: CallError }> {
  let pending = chunk;
  const refusedForGood: PublishFailure[] = [];
  for (let attempt = 1; ; attempt++) {
    let results: Awaited<ReturnType<EventBus['putEvents']>>;
    try {
      results = await bus.putEvents(pending.map((p) => p.entry));
    } catch (error) {
      const callError = callFailure(error);
      return {
        failures: [...refusedForGood, ...pending.map(({ index }) => ({ index, ...callError }))],
        callError,
      };
    }
    const failed = pending.flatMap((p, i) => {
      const code = results[i]?.errorCode;
      return code === undefined ? [] : [entryFailure(p.index, code, results[i]?.errorMessage)];
    });
    refusedForGood.push(...failed.filter((f) => !f.transient));
    const again = failed.filter((f) => f.transient);
    if (again.length === 0 || attempt >= retry.attempts) return { failures: [...refusedForGood, ...again] };
    const retried = new Set(again.map((f) => f.index));
    pending = pending.filter((p) => retried.has(p.index));
    await retry.sleep(Math.floor(retry.random() * retry.baseDelayMs * 2 ** attempt));
  }
}

function entryFailure(index: number, errorCode: string, message: string | undefined): PublishFailure {
  return { index, errorCode, message: message ?? '', transient: TRANSIENT_ENTRY_CODES.has(errorCode) };
}

/**
 * A whole call refused. Throttling, 5xx and network errors pass; so may a missing bus or permission once an
 * operator fixes it: all are retried up to the age bound. Only a request EventBridge calls invalid is poison.
 */
function callFailure(error: unknown): CallError {
  const name = (error as { name?: string })?.name ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { errorCode: name, message, transient: name !== 'ValidationException' };
}
