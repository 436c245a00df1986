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
});
