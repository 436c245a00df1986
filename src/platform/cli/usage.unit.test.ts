import { describe, expect, it } from 'vitest';
import { COMMANDS, mainHelp, parseCommandLine, UsageError } from './usage.js';

const refused = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('bbws command lines (node:util parseArgs, strict, one option table per command)', () => {
  it('parses each command with its own options and arguments', () => {
    const line = parseCommandLine([
      'parked',
      'redrive',
      '--consumer',
      'eventPublisher',
      '--stream',
      'tenant-1',
    ]);
    expect(line).toMatchObject({
      command: { name: 'parked redrive' },
      positionals: [],
      values: { consumer: 'eventPublisher', stream: 'tenant-1' },
    });
    expect(parseCommandLine(['projections', 'rebuild', 'tenants', '2', '--segments', '8'])).toMatchObject({
      positionals: ['tenants', '2'],
      values: { segments: '8' },
    });
  });

  it('refuses an option the command does not take, naming it and what the command takes', () => {
    expect(refused(['replay', 'tenant-1', '--segments', '2'])).toBe(
      'replay: unknown option --segments (takes --at, --json)',
    );
    expect(refused(['parked', 'list', '--projektion', 'tenants'])).toMatch(/unknown option --projektion/);
    expect(refused(['projections', 'status', '--json'])).toMatch(
      /unknown option --json \(takes no options\)/,
    );
  });

  it('refuses a missing value, a missing argument and an extra one', () => {
    expect(refused(['replay', 'tenant-1', '--at'])).toMatch(/option --at needs a value/);
    expect(refused(['projections', 'switch', 'tenants'])).toBe('projections switch: missing <version>');
    expect(refused(['replay', 'a', 'b'])).toBe('replay: unexpected argument "b"');
    expect(refused(['parked', 'purge'])).toBe('unknown command "parked purge"');
  });

  it('answers --help for every command with its own help', () => {
    expect(parseCommandLine([])).toEqual({ help: mainHelp() });
    for (const command of COMMANDS) {
      const line = parseCommandLine([...command.name.split(' '), '--help']);
      expect(line).toHaveProperty('help', expect.stringContaining(`npm run bbws -- ${command.name}`));
      for (const option of Object.keys(command.options))
        expect((line as { help: string }).help).toContain(`--${option}`);
    }
    expect(parseCommandLine(['parked'])).toHaveProperty('help', expect.stringContaining('parked redrive'));
  });
});
