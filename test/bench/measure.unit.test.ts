import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NonFiniteFigureError, printFigures } from '../../bench/measure.js';

const run = promisify(execFile);

/** Every benchmark the README documents (`npm run bench:<name>`), as package.json declares them. */
const benches = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts,
).filter((name) => name.startsWith('bench:'));

describe('benchmarks fail rather than print a figure that is not a number (issue 8, item 3)', () => {
  it('names every figure that is NaN, infinite, missing or not a number, after printing the line', () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      expect(() =>
        printFigures({ ok: 1.2, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, none: undefined, text: '1' }),
      ).toThrow(NonFiniteFigureError);
      expect(() => printFigures({ a: Number.NaN })).toThrow(/figures that are not finite numbers: a = NaN/);
      expect(() => printFigures({ ok: 0, also: -3.5 })).not.toThrow();
    } finally {
      console.log = log;
    }
    expect(printed[0]).toBe('{"ok":1.2,"nan":null,"inf":null,"text":"1"}');
  });

  it.each(benches)('%s parses its options strictly: an unknown one exits 2 with the usage', async (name) => {
    const failed = await run('npm', ['run', '-s', name, '--', '--no-such-option'], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/no-such-option/);
  });
});
