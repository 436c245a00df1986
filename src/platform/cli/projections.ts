import { projectionNames, projections } from '#src/contexts/projections.js';
import { rebuild } from '#src/platform/projection-runtime/rebuild.js';
import { RegistryConflictError } from '#src/platform/projection-runtime/registry.js';
import { PUBLISHER } from '#src/platform/publishing/record-publisher.js';
import type { cliWiring } from './cli-wiring.js';
import { progressBar } from './progress.js';
import { UsageError } from './usage.js';

type CliWiring = ReturnType<typeof cliWiring>;

/** `projections status`: per projection its versions, shadow, lag and parked events; the publisher's parked. */
export async function status(w: CliWiring): Promise<number> {
  const parked = await w.parked.list();
  for (const name of projectionNames()) {
    const entry = await w.registry.entry(name, true);
    const active = w.registry.target(name, entry.active);
    const beat = await w.registry.lastHeartbeat(name, entry.active);
    const versions = projections.filter((p) => p.name === name).map((p) => `v${p.version}`);
    const retained = entry.retained.length
      ? `  (retained: ${entry.retained.map((v) => `v${v}`).join(', ')})`
      : '';
    const shadow = entry.shadow
      ? `v${entry.shadow.version} ${entry.shadow.state} since ${entry.shadow.startedAt}`
      : '-';
    const lag = beat
      ? `${beat.lagMs} ms for the last event applied (${beat.lastEventAt}), reported ${beat.at}`
      : 'no event applied yet';
    console.log(`${name}`);
    console.log(`  active    v${entry.active}  ${active.tableName}`);
    console.log(`  versions  ${versions.join(', ')}${retained}`);
    console.log(`  shadow    ${shadow}`);
    console.log(`  lag       ${lag}`);
    console.log(`  parked    ${parked.filter((p) => p.consumer.startsWith(`${name}.v`)).length}`);
  }
  console.log(PUBLISHER);
  console.log(`  parked    ${parked.filter((p) => p.consumer === PUBLISHER).length}`);
  return 0;
}

export async function rebuildCommand(
  w: CliWiring,
  name: string,
  version: number | undefined,
  segments: number | undefined,
  help: string,
): Promise<number> {
  const known = projections.filter((p) => p.name === name).map((p) => p.version);
  if (known.length === 0)
    throw new UsageError(`unknown projection ${name} (known: ${projectionNames().join(', ')})`, help);
  const chosen = version ?? Math.max(...known);
  if (!known.includes(chosen))
    throw new UsageError(
      `${name} has no version ${chosen} (known: ${known.map((v) => `v${v}`).join(', ')})`,
      help,
    );
  const bar = progressBar(`rebuild ${name} v${chosen}`);
  const result = await registryCommand(() =>
    rebuild(w.rebuildDeps, name, chosen, {
      ...(segments ? { segments } : {}),
      onProgress: (p) =>
        p.phase === 'clear'
          ? bar.update(p.cleared ?? 0, `clearing the table: ${p.cleared ?? 0} items deleted`)
          : bar.update(p.events, `${p.events} events, ${p.streams} streams (${p.phase})`),
    }),
  );
  bar.done(
    `rebuilt ${name} v${chosen}: ${result.events} events, ${result.streams} streams` +
      `${result.cleared ? ` (${result.cleared} old items cleared first)` : ''}; ready to switch`,
  );
  return 0;
}

export async function switchCommand(
  w: CliWiring,
  name: string,
  version: number,
  help: string,
): Promise<number> {
  const outcome = await registryCommand(() => w.registry.switchTo(name, version), help);
  console.log(
    outcome.changed
      ? `${name}: readers use v${version} within ${w.registryTtlMs} ms; v${outcome.previous} is retained until dropped`
      : `${name} v${version} is already active`,
  );
  return 0;
}

export async function dropCommand(
  w: CliWiring,
  name: string,
  version: number,
  help: string,
): Promise<number> {
  await registryCommand(() => w.registry.drop(name, version), help);
  console.log(
    `${name} v${version} dropped from the registry; remove its table from its context's index.ts to delete it on the next deploy`,
  );
  return 0;
}

/** The registry's refusals are the operator's to act on: shown as such, not as crashes. */
async function registryCommand<T>(run: () => Promise<T>, help?: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RangeError && help) throw new UsageError(error.message, help);
    if (error instanceof RegistryConflictError) throw new UsageError(error.message, '');
    throw error;
  }
}
