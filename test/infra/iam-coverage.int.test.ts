import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Grant, grantsOf } from '#src/platform/local/iam/coverage.js';
import { type RecordedDecision, templateRoles } from '#src/platform/local/iam/function-roles.js';
import { packagedTemplate } from '#test/serverless-template.js';
import { ALLOW_LIST } from '../../scripts/iam-coverage.mjs';

/** scripts/iam-coverage.mjs, as `npm test` runs it after vitest, on decision folders made up here. */
const grants = grantsOf(templateRoles(packagedTemplate('dev'))).filter(
  (g) => !ALLOW_LIST.some((e) => (e.function === '*' || e.function === g.function) && e.action === g.action),
);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const use = (grant: Grant): RecordedDecision => ({
  function: grant.function,
  stage: 'rt',
  client: 'fixture',
  command: 'fixture',
  action: grant.action,
  resource: grant.resources[0] ?? '*',
  allowed: true,
  statements: [grant.statement],
  expected: false,
  reason: `allowed by ${grant.statement}`,
});

function check(decisions: RecordedDecision[]) {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-iam-fixture-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'decisions-1.jsonl'), decisions.map((d) => `${JSON.stringify(d)}\n`).join(''));
  const run = spawnSync(process.execPath, ['scripts/iam-coverage.mjs', dir], { encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('scripts/iam-coverage.mjs', () => {
  it('passes when every grant of every role (but the allow-listed ones) was used', () => {
    expect(grants.length).toBeGreaterThan(10);
    const run = check(grants.map(use));
    expect(run.out).toContain(
      `IAM coverage: ${grants.length} distinct decisions recorded; ${grants.length} grants used`,
    );
    expect(run.status).toBe(0);
  });

  it('fails naming the function, statement and action of a grant no call used', () => {
    const [unused, ...rest] = grants as [Grant, ...Grant[]];
    const run = check(rest.map(use));
    expect(run.status).toBe(1);
    expect(run.out).toContain(
      `UNUSED GRANT: ${unused.function} statement ${unused.statement} action ${unused.action} on`,
    );
  });

  it('fails on a denial no test expected, not on one a test provoked', () => {
    const denial: RecordedDecision = {
      ...use(grants[0] as Grant),
      action: 'dynamodb:DeleteTable',
      allowed: false,
      statements: [],
      reason: 'no identity-based policy allows the dynamodb:DeleteTable action',
    };
    const run = check([...grants.map(use), denial]);
    expect(run.status).toBe(1);
    expect(run.out).toContain(`DENIED (no test expected it): ${denial.function} dynamodb:DeleteTable on`);
    expect(check([...grants.map(use), { ...denial, expected: true }]).status).toBe(0);
  });

  it('fails when no decisions were recorded at all', () => {
    const run = check([]);
    expect(run.status).toBe(1);
    expect(run.out).toContain('holds no decisions');
  });
});
