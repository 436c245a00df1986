import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import { DEFAULT_BUNDLE_BUDGET } from '#src/platform/infra/definitions.js';

/*
 * The Lambda zips as `npm run package` writes them, checked by what is deterministic about them: their bytes
 * against each function's budget, and their contents. Import times are a benchmark's business
 * (npm run bench:bundles), not a test's.
 */

let dir = '';
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sls-bundles-'));
  const run = spawnSync(
    process.execPath,
    ['scripts/sls.mjs', 'package', '--stage', 'dev', '--package', dir],
    {
      encoding: 'utf8',
      // Its own esbuild work folder, per process: two packagings sharing one hang, and two test runs may
      // share this tree (serverless.yml, custom.esbuild). serverless-esbuild removes it when done.
      env: {
        ...process.env,
        BBWS_ESBUILD_WORK_FOLDER: `node_modules/.cache/bundles-test-esbuild-${process.pid}`,
      },
    },
  );
  if (run.status !== 0) throw new Error(`serverless package failed:\n${run.stdout}\n${run.stderr}`);
  template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The file names in a zip, from its central directory. */
function zipEntries(path: string): string[] {
  const zip = readFileSync(path);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  const names: string[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names.sort();
}

function nodeOptions(functionName: string): unknown {
  const fn = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      String((r.Properties.Code as { S3Key?: string }).S3Key).endsWith(`/${functionName}.zip`),
  );
  return (fn?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
    ?.NODE_OPTIONS;
}

describe('Lambda bundles', () => {
  it.each(app.functions.map((fn) => [fn.name, fn] as const))('%s.zip is within its budget', (name, fn) => {
    const budget = fn.bundleBudget ?? DEFAULT_BUNDLE_BUDGET;
    expect(statSync(join(dir, `${name}.zip`)).size).toBeLessThanOrEqual(budget.zipBytes);
  });

  it.each(app.functions.map((fn) => [fn.name, fn] as const))(
    '%s.zip holds its handler module and the source map its NODE_OPTIONS applies, nothing else',
    (name, fn) => {
      const module = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`;
      expect(zipEntries(join(dir, `${name}.zip`))).toEqual([module, `${module}.map`]);
      expect(String(nodeOptions(name)).split(/\s+/)).toContain('--enable-source-maps');
    },
  );
});
