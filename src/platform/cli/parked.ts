import { createInterface } from 'node:readline/promises';
import { projectionNames } from '#src/contexts/projections.js';
import type { ParkedFilter } from '#src/platform/projection-runtime/ports.js';
import { isProjectionConsumer, redrive } from '#src/platform/projection-runtime/redrive.js';
import { PUBLISHER } from '#src/platform/publishing/record-publisher.js';
import { redrivePublisher } from '#src/platform/publishing/republish.js';
import type { cliWiring } from './cli-wiring.js';
import { progressBar } from './progress.js';
import { UsageError } from './usage.js';

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

/**
 * Re-drives the projections' parked events, then re-publishes the publisher's, whatever happened to the first;
 * exit 1 if anything failed or is still parked.
 */
export async function redriveParked(w: CliWiring, filter: ParkedFilter): Promise<number> {
  const bar = progressBar('redrive');
  const failed: { consumer: string; streamId?: string; version?: number; error: string }[] = [];
  let line = '';
  let remaining = 0;
  try {
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
    line = `re-applied ${applied.applied} events on ${applied.streams} streams`;
    failed.push(...applied.failures);
    remaining += applied.remaining;
  } catch (error) {
    line = 'projections not re-driven';
    failed.push({ consumer: 'projections', error: (error as Error).message ?? String(error) });
  }
  try {
    const published = await redrivePublisher(w.republishDeps, filter, (done, total) =>
      bar.update(done, `${done}/${total} events re-published`, total),
    );
    line += `; re-published ${published.published} events`;
    failed.push(...published.failed.map((f) => ({ consumer: PUBLISHER, ...f })));
    remaining += published.failed.length;
  } catch (error) {
    line += '; the publisher not re-driven';
    failed.push({ consumer: PUBLISHER, error: (error as Error).message ?? String(error) });
  }
  bar.done(line);
  for (const f of failed)
    console.error(
      `still failing: ${f.consumer}${f.streamId ? ` ${f.streamId}@${f.version}` : ''}: ${f.error}`,
    );
  if (remaining > 0) console.error(`${remaining} parked events remain (npm run bbws -- parked list)`);
  return failed.length > 0 || remaining > 0 ? 1 : 0;
}

/**
 * `parked discard --consumer tenants.v9`: deletes the parked records of a projection version that is no longer
 * fed (dropped, or gone from the code), after the operator confirms. Never the active version, a shadow or the
 * publisher: their parked events are data still to apply or publish.
 */
export async function discardParked(
  w: CliWiring,
  filter: ParkedFilter,
  options: { yes: boolean; confirm?: (question: string) => Promise<string> },
  help: string,
): Promise<number> {
  const consumer = await unfedVersion(w, filter.consumer, help);
  const list = (await w.parked.list(filter)).filter((p) => p.consumer === consumer);
  if (list.length === 0) {
    console.log(`no parked events of ${consumer}`);
    return 0;
  }
  for (const p of list) console.log(`${p.consumer}  ${p.streamId}@${p.version}  ${p.type}  ${p.kind}`);
  if (!options.yes) {
    const ask = options.confirm ?? askOnTerminal;
    const answer = await ask(
      `discard these ${list.length} parked events of ${consumer}? type "discard" to confirm: `,
    );
    if (answer.trim() !== 'discard') {
      console.log('nothing discarded');
      return 1;
    }
  }
  for (const p of list) await w.parked.remove(p);
  console.log(`discarded ${list.length} parked events of ${consumer}`);
  return 0;
}

/** The consumer to discard: one projection version the dispatcher does not feed (refused otherwise). */
async function unfedVersion(w: CliWiring, consumer: string | undefined, help: string): Promise<string> {
  if (!consumer || !isProjectionConsumer(consumer))
    throw new UsageError('parked discard needs --consumer <name>.v<version> (one projection version)', help);
  const [name, version] = splitTarget(consumer);
  if (!projectionNames().includes(name)) return consumer;
  const entry = await w.registry.entry(name, true);
  if (entry.active === version || entry.shadow?.version === version)
    throw new UsageError(
      `${consumer} is ${entry.active === version ? 'the active version' : 'being rebuilt'}: re-drive its parked events (parked redrive), do not discard them`,
      help,
    );
  return consumer;
}

/** Asks on the terminal; without one (a pipe, CI) there is nobody to confirm: use --yes. */
async function askOnTerminal(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm on: pass --yes', '');
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

/** `tenants.v2` -> ['tenants', 2] */
function splitTarget(consumer: string): [string, number] {
  const match = /^(.+)\.v(\d+)$/.exec(consumer);
  if (!match) throw new Error(`not a projection consumer: ${consumer}`);
  return [match[1] as string, Number(match[2])];
}
