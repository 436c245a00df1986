import type { ParkedFilter } from '#src/platform/projection-runtime/ports.js';
import { redrive } from '#src/platform/projection-runtime/redrive.js';
import { redrivePublisher } from '#src/platform/publishing/republish.js';
import type { cliWiring } from './cli-wiring.js';
import { progressBar } from './progress.js';

type CliWiring = ReturnType<typeof cliWiring>;

export async function listParked(w: CliWiring, filter: ParkedFilter): Promise<number> {
  const list = await w.parked.list(filter);
  if (list.length === 0) {
    console.log('no parked events');
    return 0;
  }
  for (const p of list) {
    console.log(
      `${p.consumer}  ${p.streamId}@${p.version}  ${p.type}  ${p.kind}  parked ${p.parkedAt}  attempts ${p.attempts}`,
    );
    console.log(`    ${p.error.split('\n')[0]}`);
  }
  return 0;
}

/** Re-drives the projections' parked events, then re-publishes the publisher's; exit 1 if any still fails. */
export async function redriveParked(w: CliWiring, filter: ParkedFilter): Promise<number> {
  const bar = progressBar('redrive');
  const applied = await redrive(
    {
      writer: w.writer,
      parked: w.parked,
      store: w.store,
      target: (consumer) => w.registry.target(...splitTarget(consumer)),
    },
    filter,
    (done, total) => bar.update(done, `${done}/${total} events re-applied`, total),
  );
  const published = await redrivePublisher(w.republishDeps, filter, (done, total) =>
    bar.update(done, `${done}/${total} events re-published`, total),
  );
  bar.done(
    `re-applied ${applied.applied} events on ${applied.streams} streams; re-published ${published.published} events`,
  );
  const failed = [
    ...(applied.failed ? [applied.failed] : []),
    ...published.failed.map((f) => ({ consumer: 'eventPublisher', ...f })),
  ];
  for (const f of failed)
    console.error(`still failing: ${f.consumer} ${f.streamId}@${f.version}: ${f.error}`);
  return failed.length > 0 ? 1 : 0;
}

/** `tenants.v2` -> ['tenants', 2] */
function splitTarget(consumer: string): [string, number] {
  const match = /^(.+)\.v(\d+)$/.exec(consumer);
  if (!match) throw new Error(`not a projection consumer: ${consumer}`);
  return [match[1] as string, Number(match[2])];
}
