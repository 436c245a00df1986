import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packagedTemplate, sourceHash } from './packaged-template.js';

/**
 * A stand-in repository whose scripts/sls.mjs counts its runs and writes a template after a pause (long enough for
 * concurrent callers to overlap), or, with BROKEN in serverless.yml, prints serverless's error report and hangs as
 * serverless-esbuild does after a failed build.
 */
function fakeRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'bbws-fake-repo-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'serverless.yml'), 'service: fake\n');
  writeFileSync(join(root, 'src', 'app.ts'), 'export const a = 1;\n');
  writeFileSync(
    join(root, 'scripts', 'sls.mjs'),
    `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const args = process.argv.slice(2);
const stage = args[args.indexOf('--stage') + 1];
const out = args[args.indexOf('--package') + 1];
appendFileSync(join(process.cwd(), 'runs.log'), stage + '\\n');
if (readFileSync(join(process.cwd(), 'serverless.yml'), 'utf8').includes('BROKEN')) {
  console.log('Error:\\nError: Build failed with 1 error');
  console.log('Environment: linux, node 20, framework 3.40.0 (local)');
  setInterval(() => {}, 1000); // never exits
} else {
  setTimeout(() => {
    writeFileSync(join(out, 'cloudformation-template-update-stack.json'), JSON.stringify({ Resources: { Stage: { Type: stage } } }));
  }, 400);
}
`,
  );
  roots.push(root);
  return root;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const runs = (root: string) => readFileSync(join(root, 'runs.log'), 'utf8').trim().split('\n');

/** Another process asking for the template at the same time (as another vitest worker would). */
function inAnotherProcess(root: string, stage: string): Promise<string> {
  const module = fileURLToPath(new URL('./packaged-template.ts', import.meta.url));
  const code = `import { packagedTemplate } from ${JSON.stringify(module)};
console.log(JSON.stringify(packagedTemplate({ root: ${JSON.stringify(root)}, stage: ${JSON.stringify(stage)} })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
  });
}

describe('packagedTemplate', () => {
  it('packages once per stage and content, however many processes ask at once', async () => {
    const root = fakeRepository();
    const answers = await Promise.all([1, 2, 3].map(() => inAnotherProcess(root, 'dev')));
    expect(new Set(answers)).toEqual(new Set([JSON.stringify({ Resources: { Stage: { Type: 'dev' } } })]));
    expect(packagedTemplate({ root, stage: 'dev' })).toEqual({ Resources: { Stage: { Type: 'dev' } } });
    expect(runs(root)).toEqual(['dev']);
    expect(packagedTemplate({ root, stage: 'prod' }).Resources.Stage?.Type).toBe('prod');
    expect(runs(root)).toEqual(['dev', 'prod']);
    expect(readdirSync(join(root, '.local', 'templates')).sort()).toEqual(
      [`dev-${sourceHash(root)}.json`, `prod-${sourceHash(root)}.json`].sort(),
    );
  }, 60_000);

  it('packages again when a source changes', () => {
    const root = fakeRepository();
    packagedTemplate({ root, stage: 'dev' });
    const before = sourceHash(root);
    writeFileSync(join(root, 'src', 'app.ts'), 'export const a = 2;\n');
    expect(sourceHash(root)).not.toBe(before);
    packagedTemplate({ root, stage: 'dev' });
    expect(runs(root)).toEqual(['dev', 'dev']);
  });

  it('takes over a lock whose holder is gone', () => {
    const root = fakeRepository();
    mkdirSync(join(root, '.local', 'templates'), { recursive: true });
    writeFileSync(join(root, '.local', 'templates', 'package.lock'), '999999999');
    expect(packagedTemplate({ root, stage: 'dev' }).Resources.Stage?.Type).toBe('dev');
    expect(existsSync(join(root, '.local', 'templates', 'package.lock'))).toBe(false);
  });

  it('fails at once with serverless output when the build fails (serverless itself would hang), caching nothing', () => {
    const root = fakeRepository();
    writeFileSync(join(root, 'serverless.yml'), 'BROKEN\n');
    const started = Date.now();
    expect(() => packagedTemplate({ root, stage: 'dev' })).toThrow(
      /serverless package --stage dev failed \(exit 1\):\nError:\nError: Build failed with 1 error/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readdirSync(join(root, '.local', 'templates'))).toEqual([]);
  }, 30_000);
});
