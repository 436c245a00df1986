import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import tables from '../../src/infra/tables.cjs';

const dirs: string[] = [];

/** Packages the service offline (no credentials) and returns the generated CloudFormation template. */
function packageTemplate(stage: string): { Resources: Record<string, { Type: string; Properties: object }> } {
  const dir = mkdtempSync(join(tmpdir(), `sls-${stage}-`));
  dirs.push(dir);
  const run = spawnSync(
    process.execPath,
    ['scripts/sls.mjs', 'package', '--stage', stage, '--package', dir],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`serverless package failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('serverless.yml', () => {
  it.each(['dev', 'prod'])('packages %s with exactly the tables of the definitions module', (stage) => {
    const template = packageTemplate(stage);
    const packaged = Object.fromEntries(
      Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table'),
    );
    expect(packaged).toEqual(tables.cloudFormationResources(stage));
    const eventStore = tables.cloudFormationResources(stage).EventStoreTable.Properties;
    expect(eventStore.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(eventStore.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled).toBe(true);
    expect(eventStore.DeletionProtectionEnabled).toBe(stage !== 'dev');
    expect(eventStore.TableName).toBe(`bbws-event-store-${stage}`);
  });

  it('refuses a stage other than dev, sit and prod', () => {
    expect(() => packageTemplate('qa')).toThrow(/stage must be one of dev, sit, prod/);
  });
});
