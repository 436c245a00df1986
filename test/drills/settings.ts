import { loadConfig } from '#src/platform/config/config.js';
import type { StreamRetrySettings } from '#src/platform/local/stream-poller.js';
import type { LocalWiring } from '#src/platform/local/wiring.js';

/**
 * The drills shorten AWS time. Issue 7's outage lasted 60 s; a drill's lasts DRILL_OUTAGE_S. Every budget that
 * is spent while an outage lasts is divided by the same factor SCALE: retry counts (Lambda spent 20 retries in
 * about 44 s of outage, the local poller spends about as much per retry: at most 1 s of backoff plus the
 * handler's own SDK retries), record ages and retention, and the handlers' park bound. -1 (no limit) stays -1.
 */
export const REAL_OUTAGE_S = 60;
export const DRILL_OUTAGE_S = 8;
export const SCALE = REAL_OUTAGE_S / DRILL_OUTAGE_S;
/** A drill phase: the outage, the load around it and the recovery; generous for a busy 2-core CI machine. */
export const DRILL_TIMEOUT_MS = 240_000;
const DAY_S = 86_400;

type Packaged = LocalWiring['streams'][number] & { maximumRecordAgeInSeconds?: number };

const divide = (value: number | undefined, minimum: number) =>
  value === undefined || value < 0 ? -1 : Math.max(minimum, Math.ceil(value / SCALE));

/** A mapping's settings with every budget divided by SCALE. */
export function scaled(
  settings: Packaged | (Partial<StreamRetrySettings> & Pick<Packaged, 'maximumRetryAttempts'>),
) {
  return {
    maximumRetryAttempts: divide(settings.maximumRetryAttempts, 0),
    maximumRecordAgeInSeconds: divide(settings.maximumRecordAgeInSeconds, 1),
    retentionSeconds: Math.ceil(DAY_S / SCALE),
  } satisfies Partial<StreamRetrySettings>;
}

/** The fix reverted: the settings issue 7 found (20 retries, no age limit) and no age-based parking. */
export const REVERTED = { maximumRetryAttempts: 20, maximumRecordAgeInSeconds: -1 };

/** The handlers' park bound (STREAM_PARK_AFTER_SECONDS, 1 hour by default), scaled like the rest. */
export const scaledParkAfterSeconds = (): number =>
  Math.ceil(loadConfig({}).STREAM_PARK_AFTER_SECONDS / SCALE);

/** What the fix needs of a packaged stream consumer; empty when the template has it. */
export function settingsProblems(stream: Packaged): string[] {
  const problems: string[] = [];
  if (stream.maximumRetryAttempts !== -1)
    problems.push(`${stream.function}: maximumRetryAttempts ${stream.maximumRetryAttempts}, needs -1`);
  if ((stream.maximumRecordAgeInSeconds ?? -1) !== -1)
    problems.push(
      `${stream.function}: maximumRecordAgeInSeconds ${stream.maximumRecordAgeInSeconds}, needs -1`,
    );
  if (!stream.reportBatchItemFailures) problems.push(`${stream.function}: needs ReportBatchItemFailures`);
  if (!stream.onFailureQueue) problems.push(`${stream.function}: needs an on-failure destination`);
  return problems;
}
