import { readFileSync } from 'node:fs';
import {
  failureWindows,
  type RecoveryWindow,
  reapplyWindow,
} from '#src/platform/projection-runtime/recover.js';
import { PUBLISHER } from '#src/platform/publishing/record-publisher.js';
import { republishWindow } from '#src/platform/publishing/republish.js';
import type { cliWiring } from './cli-wiring.js';
import { progressBar } from './progress.js';
import { UsageError } from './usage.js';

type CliWiring = ReturnType<typeof cliWiring>;

export interface RecoverOptions {
  since?: Date | undefined;
  until?: Date | undefined;
  failureFile?: string | undefined;
  consumer: string;
}

/** The windows to recover: from on-failure messages, or --since/--until (until defaults to now). */
export function recoveryWindows(options: RecoverOptions, help: string): RecoveryWindow[] {
  if (options.failureFile) {
    try {
      return failureWindows(JSON.parse(readFileSync(options.failureFile, 'utf8')));
    } catch (error) {
      throw new UsageError(`--failure ${options.failureFile}: ${(error as Error).message}`, help);
    }
  }
  if (!options.since)
    throw new UsageError('recover needs --failure <file>, or --since <time> [--until <time>]', help);
  return [{ since: options.since, until: options.until ?? new Date() }];
}

/** `bbws recover`: re-applies and/or re-publishes the appends of each window, read from the event table. */
export async function recover(w: CliWiring, options: RecoverOptions, help: string): Promise<number> {
  if (!['all', 'projections', PUBLISHER].includes(options.consumer))
    throw new UsageError(
      `--consumer must be projections, ${PUBLISHER} or all, got ${options.consumer}`,
      help,
    );
  let failed = 0;
  for (const window of recoveryWindows(options, help)) {
    const label = `${window.since.toISOString()} .. ${window.until.toISOString()}`;
    // a message names the function whose records were dropped: only that consumer needs them again
    const only = options.consumer === 'all' ? (window.consumer ?? 'all') : options.consumer;
    if (only !== PUBLISHER) {
      const bar = progressBar(`re-apply ${label}`);
      const report = await reapplyWindow(
        { store: w.store, writer: w.writer, parked: w.parked, targets: () => w.registry.targets() },
        window,
        (r) => bar.update(r.applied + r.duplicates, `${r.applied} applied, ${r.duplicates} already there`),
      );
      bar.done(
        `projections: ${report.applied} applied, ${report.duplicates} already applied, ${report.parked} parked`,
      );
      failed += report.parked;
    }
    if (only !== 'projections') {
      const bar = progressBar(`re-publish ${label}`);
      const report = await republishWindow(w.republishDeps, window, (n) => bar.update(n, `${n} published`));
      bar.done(`${PUBLISHER}: ${report.published} events re-published, ${report.failed.length} refused`);
      for (const f of report.failed)
        console.error(`refused: ${f.streamId}@${f.version}: ${f.error.split('\n')[0]}`);
      failed += report.failed.length;
    }
  }
  return failed > 0 ? 1 : 0;
}
