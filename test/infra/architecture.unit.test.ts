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

describe('architecture check', () => {
  it('passes a pure domain', () => {
    expect(
      check({ 'src/domain/a.ts': "import { z } from 'zod';\nexport const a = z.string();\n" }).status,
    ).toBe(0);
  });

  it('fails when the domain reaches the AWS SDK through another file, naming the chain', () => {
    const run = check({
      'src/domain/a.ts': "import { b } from '../adapters/b.js';\nexport const a = b;\n",
      'src/adapters/b.ts':
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const b = DynamoDBClient;\n",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('src/domain/a.ts -> src/adapters/b.ts imports @aws-sdk/client-dynamodb');
  });

  it.each(['node:crypto', 'fs', '@octokit/rest', 'isomorphic-git'])(
    'fails on %s in projections',
    (specifier) => {
      const run = check({ 'projections/p.ts': `import x from '${specifier}';\nexport default x;\n` });
      expect(run.status).toBe(1);
    },
  );
});
