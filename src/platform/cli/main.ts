import { parseArgs } from 'node:util';
import { projectionNames, projections } from '#src/contexts/projections.js';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import type { TenantEvent } from '#src/contexts/tenants/domain/tenant.events.js';
import { fold } from '#src/platform/domain/decider.js';
import { rebuild } from '#src/platform/projection-runtime/rebuild.js';
import { redrive } from '#src/platform/projection-runtime/redrive.js';
import { cliWiring } from './cli-wiring.js';
import { progressBar } from './progress.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP: Record<string, string> = {
  main: `npm run bbws -- <command> [options]

Operates the event store and the projections. Connects to the local runtime (npm start) by default;
set STAGE=dev|sit|prod (and AWS credentials) for a deployed stage, or DYNAMODB_ENDPOINT for another endpoint.

commands:
  replay <streamId> [--at <time>]          audit trail of one stream, with the state after each event
  projections status                       per projection: active version, table, shadow, lag, parked
  projections rebuild <name> [<version>]   blue/green rebuild into the version's own table (resumable)
  projections switch <name> <version>      make a rebuilt (ready) version the one readers use
  projections drop <name> <version>        forget a retained old version
  parked list [--projection p] [--stream s]    events a projection parked, with their errors
  parked redrive [--projection p] [--stream s] re-apply parked events in order (after a fix)

Run any command with --help for its own help.`,
  replay: `npm run bbws -- replay <streamId> [--at <ISO time>] [--json]

Prints every event of the stream (version, time, type, actor, data) and the aggregate's state after it.
--at shows the stream as it was at that time: only events that occurred at or before it.`,
  projections: `npm run bbws -- projections status
npm run bbws -- projections rebuild <name> [<version>] [--segments N]
npm run bbws -- projections switch <name> <version>
npm run bbws -- projections drop <name> <version>

rebuild fills the version's table (declared in src/platform/infra/tables.cjs) from the event table, then catches up
with events appended meanwhile; it can be interrupted and run again (it resumes). switch needs the rebuilt
version to be ready; the previous version's table is kept (retained) until drop.`,
  parked: `npm run bbws -- parked list [--projection <name>] [--stream <streamId>]
npm run bbws -- parked redrive [--projection <name>] [--stream <streamId>]

A projection parks an event after PROJECTION_MAX_ATTEMPTS failures; the stream's later events wait behind it.
redrive re-applies them in order through the same checkpointed writer, once the cause is fixed.`,
};

const deciders = { tenant: tenantDecider } as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      at: { type: 'string' },
      json: { type: 'boolean' },
      segments: { type: 'string' },
      projection: { type: 'string' },
      stream: { type: 'string' },
    },
  });
  const [command, sub, ...rest] = positionals;
  if (!command || (values.help && !HELP[command])) return print(HELP.main as string);
  if (values.help) return print(HELP[command] as string);
  const w = cliWiring();
  switch (command) {
    case 'replay':
      return replay(w, required(sub, 'streamId', 'replay'), values.at, values.json === true);
    case 'projections':
      return projectionsCommand(w, sub, rest, values.segments);
    case 'parked':
      return parkedCommand(w, sub, { projection: values.projection, stream: values.stream });
    default:
      throw new UsageError(`unknown command ${command}`, 'main');
  }
}

async function replay(
  w: ReturnType<typeof cliWiring>,
  streamId: string,
  at: string | undefined,
  json: boolean,
) {
  const category = streamId.split('-')[0] as keyof typeof deciders;
  const decider = deciders[category];
  if (!decider)
    throw new UsageError(
      `no aggregate for stream category "${category}" (known: ${Object.keys(deciders).join(', ')})`,
      'replay',
    );
  const until = at === undefined ? undefined : Date.parse(at);
  if (until !== undefined && Number.isNaN(until))
    throw new UsageError(`--at ${at} is not a time (use ISO 8601)`, 'replay');
  const events = (await w.store.readStream(streamId)).filter(
    (e) => until === undefined || Date.parse(e.occurredAt) <= until,
  );
  if (events.length === 0) return print(`${streamId}: no events${at ? ` at or before ${at}` : ''}`);
  let state = decider.initialState();
  for (const event of events) {
    state = fold(decider, state, [{ type: event.type, data: event.data } as TenantEvent]);
    if (json) console.log(JSON.stringify({ event, state }));
    else {
      console.log(
        `v${event.version}  ${event.occurredAt}  ${event.type}  by ${event.metadata.actor}  ${JSON.stringify(event.data)}`,
      );
      console.log(`     state: ${JSON.stringify(state)}`);
    }
  }
  if (!json && at)
    console.log(`\n${streamId} as of ${at}: version ${events.at(-1)?.version}, ${JSON.stringify(state)}`);
  return 0;
}

type CliWiring = ReturnType<typeof cliWiring>;

async function projectionsCommand(
  w: CliWiring,
  sub: string | undefined,
  args: string[],
  segments: string | undefined,
) {
  const [name, versionText] = args;
  switch (sub) {
    case 'status':
      return status(w);
    case 'rebuild':
      return rebuildCommand(w, required(name, 'name', 'projections'), versionText, segments);
    case 'switch':
      return switchCommand(
        w,
        required(name, 'name', 'projections'),
        Number(required(versionText, 'version', 'projections')),
      );
    case 'drop':
      return dropCommand(
        w,
        required(name, 'name', 'projections'),
        Number(required(versionText, 'version', 'projections')),
      );
    default:
      throw new UsageError(`unknown projections command ${sub ?? ''}`, 'projections');
  }
}

async function status(w: CliWiring) {
  for (const projectionName of projectionNames()) {
    const entry = await w.registry.entry(projectionName, true);
    const active = w.registry.target(projectionName, entry.active);
    const beat = await w.registry.lastHeartbeat(projectionName, entry.active);
    const parked = await w.parked.list({ projection: projectionName });
    const versions = projections.filter((p) => p.name === projectionName).map((p) => `v${p.version}`);
    const retained = entry.retained.length
      ? `  (retained: ${entry.retained.map((v) => `v${v}`).join(', ')})`
      : '';
    const shadow = entry.shadow
      ? `v${entry.shadow.version} ${entry.shadow.state} since ${entry.shadow.startedAt}`
      : '-';
    const lag = beat
      ? `${beat.lagMs} ms for the last event applied (${beat.lastEventAt}), reported ${beat.at}`
      : 'no event applied yet';
    console.log(`${projectionName}`);
    console.log(`  active    v${entry.active}  ${active.tableName}`);
    console.log(`  versions  ${versions.join(', ')}${retained}`);
    console.log(`  shadow    ${shadow}`);
    console.log(`  lag       ${lag}`);
    console.log(`  parked    ${parked.length}`);
  }
  return 0;
}

async function rebuildCommand(
  w: CliWiring,
  name: string,
  versionText: string | undefined,
  segments: string | undefined,
) {
  const version = versionText
    ? Number(versionText)
    : Math.max(...projections.filter((p) => p.name === name).map((p) => p.version));
  w.registry.target(name, version); // validates name and version
  const bar = progressBar(`rebuild ${name} v${version}`);
  const result = await rebuild(w.rebuildDeps, name, version, {
    ...(segments ? { segments: Number(segments) } : {}),
    onProgress: (p) => bar.update(p.events, `${p.events} events, ${p.streams} streams (${p.phase})`),
  });
  bar.done(
    `rebuilt ${name} v${version}: ${result.events} events, ${result.streams} streams; ready to switch`,
  );
  return 0;
}

async function switchCommand(w: CliWiring, name: string, version: number) {
  const entry = await w.registry.entry(name, true);
  if (entry.active === version) return print(`${name} v${version} is already active`);
  if (entry.shadow?.version !== version || entry.shadow.state !== 'ready') {
    throw new UsageError(
      `${name} v${version} is not a ready rebuild (run projections rebuild ${name} ${version})`,
      'projections',
    );
  }
  await w.registry.save({ name, active: version, retained: [...new Set([...entry.retained, entry.active])] });
  return print(
    `${name}: readers use v${version} within ${w.registryTtlMs} ms; v${entry.active} is retained until dropped`,
  );
}

async function dropCommand(w: CliWiring, name: string, version: number) {
  const entry = await w.registry.entry(name, true);
  if (entry.active === version)
    throw new UsageError(`${name} v${version} is active: switch first`, 'projections');
  const shadow = entry.shadow?.version === version ? undefined : entry.shadow;
  await w.registry.save({
    name,
    active: entry.active,
    retained: entry.retained.filter((v) => v !== version),
    ...(shadow ? { shadow } : {}),
  });
  return print(
    `${name} v${version} dropped from the registry; remove its table from src/platform/infra/tables.cjs to delete it on the next deploy`,
  );
}

async function parkedCommand(
  w: ReturnType<typeof cliWiring>,
  sub: string | undefined,
  filter: { projection?: string | undefined; stream?: string | undefined },
) {
  const query = {
    ...(filter.projection ? { projection: filter.projection } : {}),
    ...(filter.stream ? { streamId: filter.stream } : {}),
  };
  if (sub === 'list') {
    const list = await w.parked.list(query);
    if (list.length === 0) return print('no parked events');
    for (const p of list) {
      console.log(
        `${p.projection}  ${p.streamId}@${p.version}  ${p.event.type}  parked ${p.parkedAt}  attempts ${p.attempts}`,
      );
      console.log(`    ${p.error.split('\n')[0]}`);
    }
    return 0;
  }
  if (sub === 'redrive') {
    const bar = progressBar('redrive');
    const report = await redrive(
      { writer: w.writer, parked: w.parked, target: (name) => w.registry.target(...splitTarget(name)) },
      query,
      (done, total) => bar.update(done, `${done}/${total} events`, total),
    );
    bar.done(`re-applied ${report.applied} events on ${report.streams} streams`);
    if (report.failed) {
      console.error(
        `still failing: ${report.failed.streamId}@${report.failed.version}: ${report.failed.error}`,
      );
      return 1;
    }
    return 0;
  }
  throw new UsageError(`unknown parked command ${sub ?? ''}`, 'parked');
}

/** `tenants.v2` -> ['tenants', 2] */
function splitTarget(name: string): [string, number] {
  const match = /^(.+)\.v(\d+)$/.exec(name);
  if (!match) throw new Error(`bad projection target ${name}`);
  return [match[1] as string, Number(match[2])];
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

function required(value: string | undefined, what: string, help: string): string {
  if (!value) throw new UsageError(`missing <${what}>`, help);
  return value;
}

function print(text: string): number {
  console.log(text);
  return 0;
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${HELP[error.help] ?? HELP.main}`);
      process.exit(2);
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = /ECONNREFUSED/.test(message)
      ? ' (is `npm start` running? set STAGE for a deployed stage)'
      : '';
    console.error(`${message}${hint}`);
    process.exit(1);
  });
