import { parseArgs } from 'node:util';

/** A mistake in the command line: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

type OptionSpec = { type: 'string' | 'boolean'; value?: string; description: string };

export interface CommandSpec {
  /** `replay`, `parked list`, ... */
  name: string;
  positionals: { name: string; optional?: boolean }[];
  options: Record<string, OptionSpec>;
  summary: string;
  /** What the command does, after its synopsis. */
  details: string;
}

const consumer: OptionSpec = {
  type: 'string',
  value: 'name',
  description: 'a projection (tenants, or one version: tenants.v1) or eventPublisher',
};
const stream: OptionSpec = { type: 'string', value: 'streamId', description: 'one stream only' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'replay',
    positionals: [{ name: 'streamId' }],
    options: {
      at: { type: 'string', value: 'ISO time', description: 'the stream as it was then' },
      json: { type: 'boolean', description: 'one {event, state} object per line' },
    },
    summary: 'audit trail of one stream, with the state after each event',
    details: 'Prints every event of the stream (version, time, type, actor, data) and the state after it.',
  },
  {
    name: 'projections status',
    positionals: [],
    options: {},
    summary: 'per projection: active version, table, shadow, lag, parked; parked events of the publisher',
    details: 'lag is the dispatcher heartbeat: how old the newest event it applied was when it applied it.',
  },
  {
    name: 'projections rebuild',
    positionals: [{ name: 'name' }, { name: 'version', optional: true }],
    options: { segments: { type: 'string', value: 'N', description: 'parallel scan segments (default 4)' } },
    summary: "blue/green rebuild into the version's own table (cleared first; resumable)",
    details: `Empties the version's table, fills it from the event table, then catches up with events appended
meanwhile. Interrupted, it resumes when run again. The version defaults to the newest.`,
  },
  {
    name: 'projections switch',
    positionals: [{ name: 'name' }, { name: 'version' }],
    options: {},
    summary: 'make a rebuilt (ready) version the one readers use',
    details: "The previous version's table is kept (retained) until dropped.",
  },
  {
    name: 'projections drop',
    positionals: [{ name: 'name' }, { name: 'version' }],
    options: {},
    summary: 'forget a retained version, or stop a rebuild of it',
    details: "Remove the version's table from its context's index.ts to delete it on the next deploy.",
  },
  {
    name: 'parked list',
    positionals: [],
    options: { consumer, projection: { ...consumer, description: 'same as --consumer' }, stream },
    summary: 'events a consumer parked, with their errors',
    details: `A projection parks an event after PROJECTION_MAX_ATTEMPTS failures (its stream's later events wait
behind it); the publisher after PUBLISH_MAX_ATTEMPTS; both park whatever still fails once its stream record is
STREAM_PARK_AFTER_SECONDS old (docs/operations.md).`,
  },
  {
    name: 'parked redrive',
    positionals: [],
    options: { consumer, projection: { ...consumer, description: 'same as --consumer' }, stream },
    summary: 're-apply / re-publish parked events (after a fix), read again from the event store',
    details: `Projections: in order, through the checkpointed writer. The publisher: re-published (subscribers
deduplicate by eventId). Then each re-driven stream up to its head, and every parked record the checkpoint
covers removed. What fails again stays parked; the command then exits 1 naming it.`,
  },
  {
    name: 'parked discard',
    positionals: [],
    options: {
      consumer: { ...consumer, description: 'one projection version no longer fed (tenants.v9)' },
      stream,
      yes: { type: 'boolean', description: 'do not ask for confirmation' },
    },
    summary: 'delete the parked records of a dropped projection version (asks first)',
    details: `For a version dropped from the registry (or removed from the code) whose parked events no re-drive can
apply. Refused for the active version, a shadow being rebuilt and the publisher: those are re-driven.`,
  },
  {
    name: 'recover',
    positionals: [],
    options: {
      since: { type: 'string', value: 'ISO time', description: 'appended at or after' },
      until: { type: 'string', value: 'ISO time', description: 'appended at or before' },
      failure: {
        type: 'string',
        value: 'file',
        description: "Lambda's on-failure message(s) (SQS body, or `aws sqs receive-message` output)",
      },
      consumer: { type: 'string', value: 'projections|eventPublisher|all', description: 'default all' },
    },
    summary: 're-apply / re-publish the appends of a time window (records Lambda dropped)',
    details: `For the on-failure messages in bbws-stream-failures-<stage>: Lambda dropped those records (only
possible if parking was impossible for 24 hours). Reads the window from the event table; re-applying is
idempotent, re-publishing sends duplicates that subscribers drop by eventId.`,
  },
];

const synopsis = (spec: CommandSpec): string =>
  [
    `npm run bbws -- ${spec.name}`,
    ...spec.positionals.map((p) => (p.optional ? `[<${p.name}>]` : `<${p.name}>`)),
    ...Object.entries(spec.options).map(
      ([name, o]) => `[--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}]`,
    ),
  ].join(' ');

export function commandHelp(spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([name, o]) => `  --${name.padEnd(12)} ${o.description}`);
  return [
    synopsis(spec),
    '',
    spec.summary,
    spec.details,
    ...(options.length ? ['', 'options:', ...options] : []),
  ].join('\n');
}

export function mainHelp(commands: readonly CommandSpec[] = COMMANDS): string {
  return `npm run bbws -- <command> [options]

Operates the event store, the projections, the publisher and the consumer queues. Connects to the local runtime
(npm start) by default; set STAGE=dev|sit|prod (and AWS credentials) for a deployed stage, or DYNAMODB_ENDPOINT.

commands:
${commands.map((c) => `  ${c.name.padEnd(22)} ${c.summary}`).join('\n')}

Run any command with --help for its own help.`;
}

/** `projections`, `parked`, ...: the first word of the commands that have two. */
const groupsOf = (commands: readonly CommandSpec[]) =>
  new Set(commands.flatMap((c) => (c.name.includes(' ') ? [c.name.split(' ')[0] as string] : [])));

const groupHelp = (commands: readonly CommandSpec[], group: string) =>
  commands
    .filter((c) => c.name.startsWith(`${group} `))
    .map(synopsis)
    .join('\n');

export type CommandLine =
  | { help: string }
  | { command: CommandSpec; positionals: string[]; values: Record<string, string | boolean | undefined> };

/**
 * Parses a command line strictly (node:util parseArgs, one option table per command): an option the command
 * does not take, a missing value or a missing or extra argument is a UsageError naming it.
 */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[] = COMMANDS,
): CommandLine {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { help: mainHelp(commands) };
  const grouped = groupsOf(commands).has(first);
  const name = grouped && second !== undefined && !second.startsWith('-') ? `${first} ${second}` : first;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    if (grouped && (second === undefined || second.startsWith('-')))
      return { help: groupHelp(commands, first) };
    throw new UsageError(
      `unknown command "${name}"`,
      grouped ? groupHelp(commands, first) : mainHelp(commands),
    );
  }
  const help = commandHelp(command);
  const { values, positionals } = parseStrict(argv.slice(name.split(' ').length), command, help);
  if (values.help) return { help };
  const required = command.positionals.filter((p) => !p.optional);
  if (positionals.length < required.length)
    throw new UsageError(`${name}: missing <${required[positionals.length]?.name}>`, help);
  if (positionals.length > command.positionals.length)
    throw new UsageError(`${name}: unexpected argument "${positionals[command.positionals.length]}"`, help);
  return { command, positionals, values };
}

function parseStrict(args: string[], command: CommandSpec, help: string) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.entries(command.options).map(([n, o]) => [n, { type: o.type }])),
      },
    });
  } catch (error) {
    throw new UsageError(`${command.name}: ${optionProblem(error, command)}`, help);
  }
}

/** parseArgs' own messages name the option but suggest `--` tricks; say what this command takes instead. */
function optionProblem(error: unknown, command: CommandSpec): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'an option';
  const takes = Object.keys(command.options).map((o) => `--${o}`);
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return `unknown option ${option} (${takes.length ? `takes ${takes.join(', ')}` : 'takes no options'})`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option} needs a value`;
  return message;
}

/** A value that must be a positive integer, named in the error. */
export function positiveInteger(text: string, what: string, help: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1)
    throw new UsageError(`${what} must be a positive integer, got "${text}"`, help);
  return value;
}

/** A value that must be an ISO 8601 time, named in the error. */
export function isoTime(text: string, what: string, help: string): Date {
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`${what} "${text}" is not a time (use ISO 8601)`, help);
  return new Date(at);
}
