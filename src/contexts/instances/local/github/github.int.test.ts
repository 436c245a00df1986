import { createHmac } from 'node:crypto';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devTenant, prodTenant, prodTenantUpgraded } from '../../terraform/test-support/fixtures.js';
import {
  type Harness,
  OUTCOME_SECRET,
  OUTCOME_SECRETS,
  quiet,
  startHarness,
  TOKEN,
  WEBHOOK_SECRET,
} from '../test-support/harness.js';
import { waitFor } from '../test-support/wait.js';

let h: Harness;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;
beforeAll(async () => {
  h = await startHarness();
  ecs = new ECSClient(h.clients);
  scaling = new ApplicationAutoScalingClient(h.clients);
});
afterAll(async () => {
  ecs?.destroy();
  scaling?.destroy();
  await h?.stop();
});

const repo = (environment: 'dev' | 'prod') => ({
  owner: 'bbws-test',
  repo: `bbws-environment-${environment}`,
});
let events = 0;
async function dispatch(environment: 'dev' | 'prod', tenantId: string, eventId = `E${++events}`) {
  const { data } = await h.octokit.rest.actions.createWorkflowDispatch({
    ...repo(environment),
    workflow_id: 'deploy-tenant.yml',
    ref: 'main',
    inputs: { tenant_id: tenantId, action: 'apply', event_id: eventId },
    return_run_details: true,
  });
  return data as unknown as { workflow_run_id: number; run_url: string; html_url: string };
}
const runOf = async (environment: 'dev' | 'prod', id: number) =>
  (await h.octokit.rest.actions.getWorkflowRun({ ...repo(environment), run_id: id })).data;
const completed = (environment: 'dev' | 'prod', id: number) =>
  waitFor(
    () => runOf(environment, id),
    (r) => r.status === 'completed',
  );
const hmac = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('the GitHub Actions stand-in through @octokit/rest', () => {
  it('dispatches with return_run_details, runs the pushed Terraform and reports through both webhooks', async () => {
    const sha = await h.push(devTenant);
    const details = await dispatch('dev', devTenant.tenantId, 'E-first');
    expect(details.run_url).toBe(
      `${h.standIns.githubUrl}/repos/bbws-test/bbws-environment-dev/actions/runs/${details.workflow_run_id}`,
    );
    expect(details.html_url).toBe(
      `${h.standIns.githubUrl}/bbws-test/bbws-environment-dev/actions/runs/${details.workflow_run_id}`,
    );
    const first = await runOf('dev', details.workflow_run_id);
    expect(first).toMatchObject({
      name: 'deploy-tenant',
      head_sha: sha,
      event: 'workflow_dispatch',
      conclusion: null,
    });
    expect(['queued', 'in_progress']).toContain(first.status);
    expect(first.display_title).toBe(`apply tenant ${devTenant.tenantId} [event E-first]`);
    expect(await completed('dev', details.workflow_run_id)).toMatchObject({ conclusion: 'success' });

    // The service runs what the Terraform says (devTenant: 256/512, one task, bounds 1..1).
    const cluster = 'bbws-dev';
    const service = `bbws-dev-tenant-${devTenant.tenantId}`;
    const { services } = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    expect(services?.[0]).toMatchObject({ status: 'ACTIVE', desiredCount: 1 });
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service }));
    expect(taskDefinition).toMatchObject({ cpu: '256', memory: '512' });
    const targets = await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));
    expect(targets.ScalableTargets).toContainEqual(
      expect.objectContaining({
        ResourceId: `service/${cluster}/${service}`,
        MinCapacity: 1,
        MaxCapacity: 1,
      }),
    );

    await h.standIns.github.idle();
    const outcome = h.receiver.received.find((r) => r.path === '/outcome' && r.body.includes('E-first'));
    // The dev repository's own secret, not the one every repository would share.
    expect(outcome?.headers['x-bbws-signature-256']).toBe(hmac(OUTCOME_SECRETS.dev, outcome?.body ?? ''));
    expect(outcome?.headers['x-bbws-signature-256']).not.toBe(hmac(OUTCOME_SECRET, outcome?.body ?? ''));
    expect(JSON.parse(outcome?.body ?? '{}')).toEqual({
      tenantId: devTenant.tenantId,
      action: 'apply',
      eventId: 'E-first',
      outcome: 'success',
      runId: String(details.workflow_run_id),
      runAttempt: '1',
      commitSha: sha,
      repository: 'bbws-test/bbws-environment-dev',
      outputs: expect.objectContaining({
        service_arn: services?.[0]?.serviceArn,
        tenant_id: devTenant.tenantId,
      }),
    });
    const hooks = h.receiver.received.filter(
      (r) => r.path === '/github' && JSON.parse(r.body).workflow_run.id === details.workflow_run_id,
    );
    expect(hooks.map((r) => JSON.parse(r.body).action)).toEqual(['requested', 'in_progress', 'completed']);
    const done = hooks[2];
    expect(done?.headers).toMatchObject({
      'x-github-event': 'workflow_run',
      'content-type': 'application/json',
    });
    expect(JSON.parse(done?.body ?? '{}')).toMatchObject({
      workflow_run: {
        id: details.workflow_run_id,
        status: 'completed',
        conclusion: 'success',
        head_sha: sha,
        display_title: first.display_title,
      },
      workflow: { name: 'deploy-tenant', path: '.github/workflows/deploy-tenant.yml' },
      repository: { full_name: 'bbws-test/bbws-environment-dev' },
    });
    // The signature verifies with the hook's secret, and not with another one.
    expect(done?.headers['x-hub-signature-256']).toBe(hmac(WEBHOOK_SECRET, done?.body ?? ''));
    expect(done?.headers['x-hub-signature-256']).not.toBe(hmac('another secret', done?.body ?? ''));
  });

  it('fails the run on a broken Terraform file, with the checker messages in the job log', async () => {
    const tenant = { ...devTenant, tenantId: '01JD9A0B1C2D3E4F5G6H7J8K9N' };
    const { generateTenantFolder } = await import('../../terraform/index.js');
    const { files } = generateTenantFolder(tenant);
    const broken = {
      ...files,
      'service.tf.json': (files['service.tf.json'] ?? '').replace(
        `\${local.task_cpu}`,
        `\${local.task_cpus}`,
      ),
    };
    await h.push(tenant, broken);
    const { workflow_run_id: id } = await dispatch('dev', tenant.tenantId, 'E-broken');
    expect(await completed('dev', id)).toMatchObject({ conclusion: 'failure' });
    const { data: jobs } = await h.octokit.rest.actions.listJobsForWorkflowRun({
      ...repo('dev'),
      run_id: id,
    });
    const steps = jobs.jobs[0]?.steps ?? [];
    expect(steps.find((s) => s.name === 'terraform plan')?.conclusion).toBe('failure');
    expect(steps.find((s) => s.name === 'terraform apply')?.conclusion).toBe('skipped');
    expect(steps.find((s) => s.name === 'Report the outcome to the control plane')?.conclusion).toBe(
      'success',
    );
    const log = await fetch(
      `${h.standIns.githubUrl}/repos/bbws-test/bbws-environment-dev/actions/jobs/${jobs.jobs[0]?.id}/logs`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    ).then((r) => r.text());
    expect(log).toMatch(/Error: service\.tf\.json: .*task_cpus/);
    const { services } = await ecs.send(
      new DescribeServicesCommand({ cluster: 'bbws-dev', services: [`bbws-dev-tenant-${tenant.tenantId}`] }),
    );
    expect(services).toEqual([]);
    await h.standIns.github.idle();
    const outcome = h.receiver.received.find((r) => r.path === '/outcome' && r.body.includes('E-broken'));
    expect(JSON.parse(outcome?.body ?? '{}')).toMatchObject({ outcome: 'failure', outputs: {} });
  });

  it('applies a plan change from the pushed Terraform: a new task size; the count only through the bounds', async () => {
    await h.push(prodTenant);
    await completed('prod', (await dispatch('prod', prodTenant.tenantId)).workflow_run_id);
    await h.push(prodTenantUpgraded);
    await completed('prod', (await dispatch('prod', prodTenant.tenantId)).workflow_run_id);
    const service = `bbws-prod-tenant-${prodTenant.tenantId}`;
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service }));
    expect(taskDefinition).toMatchObject({ cpu: '2048', memory: '4096', revision: 2 });
    // desired_count is in ignore_changes: the new min (3) raises it, through Application Auto Scaling.
    await waitFor(
      async () =>
        (await ecs.send(new DescribeServicesCommand({ cluster: 'bbws-prod', services: [service] })))
          .services?.[0],
      (s) => s?.desiredCount === 3 && s.taskDefinition?.endsWith(':2') === true,
    );
  });

  it('lists runs newest first, filtered, so a retried step finds its own earlier run by its title', async () => {
    const a = await dispatch('dev', devTenant.tenantId, 'E-list-a');
    const b = await dispatch('dev', devTenant.tenantId, 'E-list-b');
    await h.standIns.github.idle();
    const { data } = await h.octokit.rest.actions.listWorkflowRuns({
      ...repo('dev'),
      workflow_id: 'deploy-tenant.yml',
      status: 'completed',
      per_page: 100,
    });
    const ids = data.workflow_runs.map((r) => r.id);
    expect(ids.indexOf(b.workflow_run_id)).toBeLessThan(ids.indexOf(a.workflow_run_id));
    expect(
      data.workflow_runs.filter((r) => r.display_title.includes('[event E-list-a]')).map((r) => r.id),
    ).toEqual([a.workflow_run_id]);
    const failed = await h.octokit.rest.actions.listWorkflowRuns({
      ...repo('dev'),
      workflow_id: 'deploy-tenant.yml',
      status: 'failure',
    });
    expect(failed.data.workflow_runs.every((r) => r.conclusion === 'failure')).toBe(true);
    const paged = await h.octokit.rest.actions.listWorkflowRuns({
      ...repo('dev'),
      workflow_id: 'deploy-tenant.yml',
      per_page: 1,
    });
    expect(paged.data.workflow_runs).toHaveLength(1);
    expect(paged.headers.link).toContain('rel="next"');
  });

  it('keeps one run per tenant at a time: a newer pending run cancels the older pending one', async () => {
    h.standIns.github.timing.inProgressMs = 150;
    try {
      const runs = [];
      for (const id of ['E-c1', 'E-c2', 'E-c3']) {
        runs.push(await dispatch('dev', devTenant.tenantId, id));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await h.standIns.github.idle();
      const conclusions = await Promise.all(
        runs.map(async (r) => (await runOf('dev', r.workflow_run_id)).conclusion),
      );
      expect(conclusions).toEqual(['success', 'cancelled', 'success']);
    } finally {
      h.standIns.github.timing.inProgressMs = 10;
    }
  });

  it('fails a run on request: the next run of a tenant, or an event id carrying FAILRUN', async () => {
    h.standIns.github.failNext({ tenantId: devTenant.tenantId });
    const first = await dispatch('dev', devTenant.tenantId);
    const marked = await dispatch('dev', devTenant.tenantId, 'E-FAILRUN-1');
    await h.standIns.github.idle();
    expect((await runOf('dev', first.workflow_run_id)).conclusion).toBe('failure');
    expect((await runOf('dev', marked.workflow_run_id)).conclusion).toBe('failure');
    expect(
      (await completed('dev', (await dispatch('dev', devTenant.tenantId)).workflow_run_id)).conclusion,
    ).toBe('success');
  });

  it('answers as GitHub does: 401 for a wrong token, 404 without one, 422 for inputs the workflow does not take', async () => {
    const wrong = new Octokit({ auth: 'ghs_wrong', baseUrl: h.standIns.githubUrl, log: quiet });
    await expect(
      wrong.rest.actions.listWorkflowRuns({ ...repo('dev'), workflow_id: 'deploy-tenant.yml' }),
    ).rejects.toMatchObject({ status: 401 });
    const anonymous = new Octokit({ baseUrl: h.standIns.githubUrl, log: quiet });
    await expect(
      anonymous.rest.actions.listWorkflowRuns({ ...repo('dev'), workflow_id: 'deploy-tenant.yml' }),
    ).rejects.toMatchObject({ status: 404 });
    const scheme = await fetch(`${h.standIns.githubUrl}/repos/bbws-test/bbws-environment-dev/actions/runs`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(scheme.status).toBe(200);
    await expect(
      h.octokit.rest.actions.createWorkflowDispatch({
        ...repo('dev'),
        workflow_id: 'deploy-tenant.yml',
        ref: 'main',
        inputs: { tenant_id: devTenant.tenantId, action: 'apply', event_id: 'E', extra: 'x' },
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      h.octokit.rest.actions.createWorkflowDispatch({
        ...repo('dev'),
        workflow_id: 'deploy-tenant.yml',
        ref: 'main',
        inputs: { tenant_id: devTenant.tenantId, action: 'delete', event_id: 'E' },
      }),
    ).rejects.toMatchObject({ status: 422 });
    const plain = await h.octokit.rest.actions.createWorkflowDispatch({
      ...repo('dev'),
      workflow_id: 'deploy-tenant.yml',
      ref: 'main',
      inputs: { tenant_id: devTenant.tenantId, action: 'apply', event_id: 'E-204' },
    });
    expect(plain.status).toBe(204);
  });
});
