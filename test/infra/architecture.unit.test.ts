import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

let root: string | undefined;
afterEach(() => root && rmSync(root, { recursive: true, force: true }));

function check(files: Record<string, string>) {
  root = mkdtempSync(join(tmpdir(), 'arch-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return spawnSync(process.execPath, ['scripts/check-architecture.mjs'], {
    encoding: 'utf8',
    env: { ...process.env, ARCH_ROOT: root },
  });
}

const SDK = "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const b = DynamoDBClient;\n";

describe('architecture check', () => {
  it('passes this repository (`npm run arch`)', () => {
    const run = spawnSync(process.execPath, ['scripts/check-architecture.mjs'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('passes a pure domain', () => {
    expect(
      check({ 'src/contexts/a/domain/a.ts': "import { z } from 'zod';\nexport const a = z.string();\n" })
        .status,
    ).toBe(0);
  });

  it('fails when a domain reaches the AWS SDK through another file, naming the chain', () => {
    const run = check({
      'src/contexts/a/domain/a.ts': "import { b } from '../../../platform/b.js';\nexport const a = b;\n",
      'src/platform/b.ts': SDK,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'src/contexts/a/domain/a.ts -> src/platform/b.ts imports @aws-sdk/client-dynamodb',
    );
  });

  it('follows #src subpath imports', () => {
    const run = check({
      'src/platform/domain/kernel.ts': "import { b } from '#src/platform/aws/b.js';\nexport const a = b;\n",
      'src/platform/aws/b.ts': SDK,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('src/platform/domain/kernel.ts -> src/platform/aws/b.ts');
  });

  it.each(['node:crypto', 'fs', '@octokit/rest', 'isomorphic-git'])(
    'fails on %s in projections',
    (specifier) => {
      const run = check({ 'projections/p.ts': `import x from '${specifier}';\nexport default x;\n` });
      expect(run.status).toBe(1);
    },
  );

  it('fails on a context importing another context other than through its index.ts', () => {
    const run = check({
      'src/contexts/sites/api/routes.ts':
        "import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\nexport const r = tenantDecider;\n",
      'src/contexts/tenants/domain/tenant.decider.ts': 'export const tenantDecider = 1;\n',
      'src/contexts/tenants/index.ts': "export { tenantDecider } from './domain/tenant.decider.js';\n",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'context sites reaches into context tenants: src/contexts/sites/api/routes.ts imports src/contexts/tenants/domain/tenant.decider.ts',
    );
  });

  it("allows a context to use another through its index.ts, and projections their own context's domain", () => {
    const run = check({
      'src/contexts/sites/api/routes.ts':
        "import { tenantDecider } from '#src/contexts/tenants/index.js';\nexport const r = tenantDecider;\n",
      'src/contexts/tenants/domain/tenant.decider.ts': 'export const tenantDecider = 1;\n',
      'src/contexts/tenants/index.ts': "export { tenantDecider } from './domain/tenant.decider.js';\n",
      'projections/tenants/t.ts':
        "import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\nexport const p = tenantDecider;\n",
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it("refuses a platform module outside the composition roots that imports a context, even a context's list", () => {
    const run = check({
      ...tenants,
      'src/contexts/catalogue.ts': "export { tenantDecider } from './tenants/index.js';\n",
      'src/platform/event-store/contract.ts':
        "import { tenantDecider } from '#src/contexts/catalogue.js';\nexport const c = tenantDecider;\n",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'the platform reaches a context outside its composition roots: src/platform/event-store/contract.ts imports src/contexts/catalogue.ts',
    );
  });

  it('refuses a platform module reaching a context through a test fixture it uses', () => {
    const run = check({
      ...tenants,
      'test/fixtures.ts': "export { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\n",
      'src/platform/event-store/contract.ts': "export { tenantDecider } from '#test/fixtures.js';\n",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'src/platform/event-store/contract.ts -> test/fixtures.ts imports src/contexts/tenants',
    );
  });

  it("lets the composition roots import the contexts' lists and front doors, never their internals", () => {
    const lists = {
      ...tenants,
      'src/contexts/index.ts': "export { tenantDecider } from './tenants/index.js';\n",
      'src/platform/infra/app.ts': "export { tenantDecider } from '#src/contexts/index.js';\n",
      'src/platform/wiring.ts': "export { tenantDecider } from '#src/contexts/tenants/index.js';\n",
      'src/platform/consumers/consumer-wiring.ts':
        "export { tenantDecider } from '#src/contexts/index.js';\n",
      'src/platform/handlers/h.ts': "export { tenantDecider } from '#src/contexts/index.js';\n",
    };
    expect(check(lists).status).toBe(0);
    const inside = check({
      ...lists,
      'src/platform/wiring.ts':
        "export { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\n",
    });
    expect(inside.status).toBe(1);
    expect(inside.stderr).toContain(
      'a composition root reaches into a context: src/platform/wiring.ts imports src/contexts/tenants/domain/tenant.decider.ts',
    );
  });

  it('lets the local runtime load handlers by computed paths, and nothing else', () => {
    const loader = 'export const load = (path: string) => import(path);\n';
    expect(check({ 'src/platform/local/host.ts': loader }).status).toBe(0);
    const elsewhere = check({ 'src/platform/http/host.ts': loader });
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toContain('src/platform/http/host.ts:1: import() of a computed specifier');
  });
});

// Each way around the rules the reviewer of issue 8 found: every one must fail the check.
const tenants = {
  'src/contexts/tenants/domain/tenant.decider.ts': 'export const tenantDecider = 1;\n',
  'src/contexts/tenants/index.ts': "export { tenantDecider } from './domain/tenant.decider.js';\n",
};

describe('architecture check: ways around it', () => {
  it.each([
    [
      'createRequire and require()',
      "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const a = require('../../tenants/domain/tenant.decider.js');\n",
    ],
    ['require() of a literal path', "export const a = require('../../tenants/domain/tenant.decider.js');\n"],
    [
      'import() with a template literal',
      'export const a = () => import(`#src/contexts/tenants/domain/tenant.decider.js`);\n',
    ],
    [
      'import() of a computed specifier',
      "const where = '../../tenants/domain/';\nexport const a = () => import(where + 'tenant.decider.js');\n",
    ],
    [
      'an import after a comment on the same line',
      "/* sites */ import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\nexport const a = tenantDecider;\n",
    ],
    [
      'an export-from after a statement on the same line',
      "export const b = 1; export { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\n",
    ],
    ['a type-only import', "export type T = import('#src/contexts/tenants/domain/tenant.decider.js').X;\n"],
    ['eval', 'export const a = eval("import(\'../../tenants/domain/tenant.decider.js\')");\n'],
    ['new Function', 'export const a = new Function(\'return import("x")\');\n'],
  ])('refuses a context reaching another through %s', (_name, text) => {
    const run = check({ ...tenants, 'src/contexts/sites/api/a.ts': text });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(1);
  });

  it.each(['a.js', 'a.mjs', 'a.cjs', 'a.mts'])('checks a %s file in a context', (name) => {
    const statement = name.endsWith('.cjs')
      ? "module.exports = require('#src/contexts/tenants/domain/tenant.decider.js');\n"
      : "export { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\n";
    const run = check({ ...tenants, [`src/contexts/sites/api/${name}`]: statement });
    expect(run.status, run.stdout).toBe(1);
    expect(run.stderr).toContain(`src/contexts/sites/api/${name}`);
  });

  it('refuses reaching another context through a platform module (either end is reported)', () => {
    const run = check({
      ...tenants,
      'src/platform/http/helper.ts':
        "export { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';\n",
      'src/contexts/sites/api/a.ts':
        "import { tenantDecider } from '#src/platform/http/helper.js';\nexport const a = tenantDecider;\n",
    });
    expect(run.status, run.stdout).toBe(1);
    expect(run.stderr).toContain(
      'context sites reaches into context tenants: src/contexts/sites/api/a.ts -> src/platform/http/helper.ts imports src/contexts/tenants/domain/tenant.decider.ts',
    );
  });

  it.each([
    ['require of a node built-in', "export const fs = require('node:fs');\n"],
    ['require of a bare built-in', "export const fs = require('fs');\n"],
    ['import() with a template literal', 'export const fs = () => import(`node:fs`);\n'],
    [
      'createRequire',
      "import { createRequire } from 'module';\nexport const fs = createRequire(import.meta.url)('fs');\n",
    ],
    [
      'an import after a comment',
      "/* io */ import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    ],
  ])('refuses %s in a context domain', (_name, text) => {
    const run = check({ 'src/contexts/sites/domain/d.ts': text });
    expect(run.status, run.stdout).toBe(1);
  });
});
