import { cliWiring } from './cli-wiring.js';
import { ERASE_COMMANDS, erase } from './erase.js';
import { discardParked, listParked, redriveParked } from './parked.js';
import { dropCommand, rebuildCommand, status, switchCommand } from './projections.js';
import { QUEUE_COMMANDS, queueCliDependencies, runQueueCommand } from './queues.js';
import { recover } from './recover.js';
import { replay } from './replay.js';
import {
  COMMANDS,
  type CommandLine,
  commandHelp,
  isoTime,
  parseCommandLine,
  positiveInteger,
  UsageError,
} from './usage.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Parsed = Exclude<CommandLine, { help: string }>;

const ALL_COMMANDS = [...COMMANDS, ...QUEUE_COMMANDS, ...ERASE_COMMANDS];

const text = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

/** `npm run bbws -- <command>`: each command parses its own options strictly (usage.ts). */
async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, ALL_COMMANDS);
  if ('help' in line) {
    console.log(line.help);
    return 0;
  }
  return run(line, commandHelp(line.command));
}

async function run({ command, positionals, values }: Parsed, help: string): Promise<number> {
  const [first, second] = positionals as [string, string | undefined];
  const version = (t: string | undefined) =>
    t === undefined ? undefined : positiveInteger(t, '<version>', help);
  const filter = {
    ...(text(values.consumer ?? values.projection)
      ? { consumer: text(values.consumer ?? values.projection) }
      : {}),
    ...(text(values.stream) ? { streamId: text(values.stream) } : {}),
  };
  const w = cliWiring();
  switch (command.name) {
    case 'replay':
      return replay(w.store, first, { ...at(values.at, '--at', help), json: values.json === true }, help);
    case 'projections status':
      return status(w);
    case 'projections rebuild':
      return rebuildCommand(w, first, version(second), segments(values.segments, help), help);
    case 'projections switch':
      return switchCommand(w, first, version(second) as number, help);
    case 'projections drop':
      return dropCommand(w, first, version(second) as number, help);
    case 'parked list':
      return listParked(w, filter);
    case 'parked redrive':
      return redriveParked(w, filter);
    case 'parked discard':
      return discardParked(w, filter, { yes: values.yes === true }, help);
    case 'erase':
      return erase(
        w.eraseDeps,
        first,
        {
          reason: text(values.reason),
          wait: values.wait === true,
          reapply: values.reapply === true,
          fromTable: text(values['from-table']),
          since: at(values.since, '--since', help).at,
        },
        help,
      );
    case 'queues status':
    case 'queues redrive':
      return runQueueCommand(command.name, positionals, queueCliDependencies(), help);
    case 'recover':
      return recover(
        w,
        {
          since: at(values.since, '--since', help).at,
          until: at(values.until, '--until', help).at,
          failureFile: text(values.failure),
          consumer: text(values.consumer) ?? 'all',
        },
        help,
      );
    default:
      throw new UsageError(`no runner for ${command.name}`, help);
  }
}

const at = (value: string | boolean | undefined, what: string, help: string) =>
  typeof value === 'string' ? { at: isoTime(value, what, help) } : {};

const segments = (value: string | boolean | undefined, help: string) =>
  typeof value === 'string' ? positiveInteger(value, '--segments', help) : undefined;

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.help ? `${error.message}\n\n${error.help}` : error.message);
      process.exit(2);
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = /ECONNREFUSED/.test(message)
      ? ' (is `npm start` running? set STAGE for a deployed stage)'
      : '';
    console.error(`${message}${hint}`);
    process.exit(1);
  });
