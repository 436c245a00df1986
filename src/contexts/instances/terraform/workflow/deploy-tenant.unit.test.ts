import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TERRAFORM_VERSION } from '../versions.js';
import { DEPLOY_TENANT_WORKFLOW_PATH, deployTenantWorkflow } from './deploy-tenant.js';

const GOLDEN = join(import.meta.dirname, '..', 'golden', 'deploy-tenant.yml');
const text = deployTenantWorkflow();
if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);

interface Step {
  name: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  'working-directory'?: string;
}
const workflow = parse(text);
const job = workflow.jobs.terraform;
const steps: Step[] = job.steps;
const step = (name: string) => steps.find((s) => s.name.startsWith(name)) as Step;
const gh = (expression: string) => `${'$'}{{ ${expression} }}`;

describe('deploy-tenant workflow', () => {
  it('equals its golden file and lives where GitHub looks for workflows', () => {
    expect(DEPLOY_TENANT_WORKFLOW_PATH).toBe('.github/workflows/deploy-tenant.yml');
    expect(existsSync(GOLDEN) ? readFileSync(GOLDEN, 'utf8') : '').toBe(text);
  });

  it('is dispatched with a tenant id, apply|destroy and the causing event id, which the run name carries', () => {
    const inputs = workflow.on.workflow_dispatch.inputs;
    expect(Object.keys(workflow.on)).toEqual(['workflow_dispatch']);
    expect(inputs.tenant_id).toMatchObject({ required: true, type: 'string' });
    expect(inputs.action).toMatchObject({ required: true, type: 'choice', options: ['apply', 'destroy'] });
    expect(inputs.event_id).toMatchObject({ required: true, type: 'string' });
    expect(workflow['run-name']).toContain(gh('inputs.event_id'));
    expect(workflow['run-name']).toContain(gh('inputs.tenant_id'));
  });

  it('serialises runs per tenant without cancelling one in progress', () => {
    expect(workflow.concurrency).toEqual({
      group: `deploy-tenant-${gh('inputs.tenant_id')}`,
      'cancel-in-progress': false,
    });
  });

  it('assumes the environment role over OIDC with least permissions', () => {
    expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const aws = step('Assume the environment deploy role');
    expect(aws.uses).toMatch(/^aws-actions\/configure-aws-credentials@[0-9a-f]{40}$/);
    expect(aws.with).toMatchObject({ 'role-to-assume': gh('vars.BBWS_DEPLOY_ROLE_ARN') });
    expect(aws.with).not.toHaveProperty('aws-access-key-id');
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/@[0-9a-f]{40}$/);
  });

  it('runs init, plan and apply (or destroy) in the tenant folder with the pinned Terraform', () => {
    expect(step('Install Terraform').with).toMatchObject({ terraform_version: TERRAFORM_VERSION });
    const folder = `tenants/${gh('inputs.tenant_id')}`;
    for (const name of ['terraform init', 'terraform plan', 'terraform apply', 'terraform destroy']) {
      expect(step(name)['working-directory'], name).toBe(folder);
    }
    expect(step('terraform plan').if).toBe("inputs.action == 'apply'");
    expect(step('terraform apply').run).toBe('terraform apply -input=false tfplan\n');
    expect(step('terraform destroy').if).toBe("inputs.action == 'destroy'");
    expect(step('terraform destroy').run).toContain('terraform plan -destroy');
    expect(steps.indexOf(step('Validate inputs'))).toBe(0);
  });

  it('always reports the outcome last, signed, with the run and event ids', () => {
    const report = steps.at(-1) as Step;
    expect(report.name).toBe('Report the outcome to the control plane');
    expect(report.if).toBe('always()');
    expect(report.env).toMatchObject({
      OUTCOME: gh('job.status'),
      EVENT_ID: gh('inputs.event_id'),
      RUN_ID: gh('github.run_id'),
      WEBHOOK_SECRET: gh('secrets.BBWS_CONTROL_PLANE_WEBHOOK_SECRET'),
    });
    expect(report.run).toContain('openssl dgst -sha256 -hmac');
    expect(report.run).toContain('x-bbws-signature-256');
  });

  it('never expands an expression inside a shell script (inputs reach scripts through env)', () => {
    for (const s of steps) expect(s.run ?? '', s.name).not.toContain('${{');
  });
});
