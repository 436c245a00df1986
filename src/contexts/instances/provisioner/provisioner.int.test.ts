import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryConsumerLedger } from '#src/platform/consumers/ledger.js';
import { instanceStream } from '../domain/instance.stream.js';
import { folderAt } from '../local/git/bare-repository.js';
import { signature } from '../local/github/webhooks.js';
import { OUTCOME_SECRETS, WEBHOOK_SECRET } from '../local/test-support/harness.js';
import { generateTenantFolder, serviceName, tenantFolder } from '../terraform/index.js';
import { folderInput } from './folder.js';
import { followConsumer } from './follow-consumer.js';
import { eventTag } from './ports.js';
import {
  logger,
  type ProvisionerHarness,
  startProvisionerHarness,
} from './test-support/provisioner.harness.js';

let h: ProvisionerHarness;
beforeAll(async () => {
  h = await startProvisionerHarness();
}, 30_000);
afterAll(async () => {
  await h?.stop();
});

const types = async (instanceId: string) => (await h.events(instanceId)).map((e) => e.type);
const dataOf = async (instanceId: string, type: string) =>
  (await h.events(instanceId)).find((e) => e.type === type)?.data as Record<string, unknown> | undefined;

describe('the provisioner on the local git server and GitHub stand-in', () => {
  it('commits the folder, dispatches the workflow and follows the run to its outcome', async () => {
    const { instanceId, event } = await h.request('dev');
    await h.provision(event);
    await h.settled();
    const state = await h.state(instanceId);
    expect(state.status).toBe('PROVISIONING');
    expect(await types(instanceId)).toEqual([
      'INSTANCE_PROVISIONING_REQUESTED',
      'INSTANCE_COMMIT_STARTED',
      'INSTANCE_COMMITTED',
      'INSTANCE_WORKFLOW_QUEUED',
      'INSTANCE_WORKFLOW_RUNNING',
      'INSTANCE_WORKFLOW_SUCCEEDED',
    ]);
    if (state.status === 'NEW') throw new Error('no instance');
    const committed = await dataOf(instanceId, 'INSTANCE_COMMITTED');
    expect(committed?.commitSha).toBe(await h.head('dev', tenantFolder(state.tenantId)));
    expect(committed?.changed).toBe(true);
    // The commit holds exactly the folder generated from the instance's state.
    const pushed = await folderAt(
      h.local.standIns.git.repositories.dev.bare,
      String(committed?.commitSha),
      tenantFolder(state.tenantId),
    );
    expect(pushed).toEqual(generateTenantFolder(folderInput(state, h.deps.folders)).files);
    const runs = h.local.standIns.github.runs.filter((r) => r.inputs.event_id === event.eventId);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.conclusion).toBe('success');
    expect(state.change.run?.id).toBe(runs[0]?.id);
    expect(h.failures).toEqual([]);
  }, 30_000);

  it('re-finds its own commit after a crash between the push and RecordCommit: one commit, one run', async () => {
    const { instanceId, event } = await h.request('sit');
    h.failAppendOf('INSTANCE_COMMITTED');
    await expect(h.provision(event)).rejects.toThrow(/simulated crash/);
    expect(await types(instanceId)).not.toContain('INSTANCE_COMMITTED');
    await h.provision(event); // the queue's redelivery
    await h.provision(event); // and a duplicate of it
    await h.settled();
    const commits = (await h.log('sit')).filter((s) => s.includes(eventTag(event.eventId)));
    expect(commits).toHaveLength(1);
    expect(h.local.standIns.github.runs.filter((r) => r.inputs.event_id === event.eventId)).toHaveLength(1);
    expect((await types(instanceId)).filter((t) => t === 'INSTANCE_COMMITTED')).toHaveLength(1);
    expect((await h.state(instanceId)).status).toBe('PROVISIONING');
  }, 30_000);

  it('re-finds its own run after a crash between the dispatch and RecordWorkflowQueued', async () => {
    const { instanceId, event } = await h.request('sit', 5);
    h.failAppendOf('INSTANCE_WORKFLOW_QUEUED');
    await expect(h.provision(event)).rejects.toThrow(/simulated crash/);
    await h.provision(event);
    await h.settled();
    expect(h.local.standIns.github.runs.filter((r) => r.inputs.event_id === event.eventId)).toHaveLength(1);
    expect((await h.state(instanceId)).status).toBe('PROVISIONING');
  }, 30_000);

  it('commits 20 concurrent provisionings in one environment: every push lands, none lost', async () => {
    const requested = [];
    for (let i = 0; i < 20; i++) requested.push(await h.request('prod', 1 + 4 * i));
    const started = Date.now();
    await Promise.all(requested.map(({ event }) => h.provision(event)));
    const elapsed = Date.now() - started;
    await h.settled();
    const tree = await h.tree('prod');
    const log = await h.log('prod');
    for (const { instanceId, event } of requested) {
      const state = await h.state(instanceId);
      if (state.status === 'NEW') throw new Error('no instance');
      expect(tree).toContain(tenantFolder(state.tenantId));
      expect(log.filter((s) => s.includes(eventTag(event.eventId)))).toHaveLength(1);
      const committed = await dataOf(instanceId, 'INSTANCE_COMMITTED');
      expect(committed?.commitSha).toBe(await h.head('prod', tenantFolder(state.tenantId)));
      expect(state.status).toBe('PROVISIONING');
    }
    console.info(`20 concurrent provisionings committed and dispatched in ${elapsed} ms`);
  }, 120_000);

  it('commits a plan change as a new change, and ECS runs the task size read from the pushed Terraform', async () => {
    const { instanceId, event } = await h.request('dev', 37);
    await h.provision(event);
    await h.settled();
    const tier = { cpu: 1024, memoryMiB: 2048, desiredCount: 1, minCount: 1, maxCount: 4, storageGiB: 20 };
    const applied = await h.command(instanceId, {
      type: 'ApplyPlanTier',
      plan: { planId: 'premium', version: 1, tier, environments: ['dev', 'sit', 'prod'] },
    });
    await h.provision(applied.events[0] as never);
    await h.settled();
    const state = await h.state(instanceId);
    if (state.status === 'NEW') throw new Error('no instance');
    expect(state.change).toMatchObject({ n: 2, phase: 'succeeded' });
    const commits = (await h.events(instanceId)).filter((e) => e.type === 'INSTANCE_COMMITTED');
    expect(commits.map((e) => (e.data as { change: number }).change)).toEqual([1, 2]);
    const sha = String((commits[1]?.data as { commitSha?: string } | undefined)?.commitSha);
    const pushed = await folderAt(
      h.local.standIns.git.repositories.dev.bare,
      sha,
      tenantFolder(state.tenantId),
    );
    expect(JSON.parse(pushed['tenant.tf.json'] ?? '{}').locals.task_cpu).toBe(1024);
    const ecs = new ECSClient(h.local.clients);
    try {
      const { services } = await ecs.send(
        new DescribeServicesCommand({ cluster: 'bbws-dev', services: [serviceName('dev', state.tenantId)] }),
      );
      const { taskDefinition } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: services?.[0]?.taskDefinition }),
      );
      expect(taskDefinition?.cpu).toBe('1024');
    } finally {
      ecs.destroy();
    }
  }, 30_000);

  it('commits a suspension (0/0) and the resume (the counts again) as sync changes: git says what ECS runs', async () => {
    const { instanceId, event } = await h.request('dev', 41);
    await h.provision(event);
    await h.settled();
    const locals = async (sha: string, tenantId: string) => {
      const files = await folderAt(h.local.standIns.git.repositories.dev.bare, sha, tenantFolder(tenantId));
      const { desired_count, min_capacity, max_capacity } = JSON.parse(
        files['tenant.tf.json'] ?? '{}',
      ).locals;
      return [desired_count, min_capacity, max_capacity];
    };
    for (const [command, counts] of [
      [{ type: 'Suspend', reason: 'tenant parked' }, [0, 0, 0]],
      [{ type: 'Resume' }, [1, 1, 4]],
    ] as const) {
      const outcome = await h.command(instanceId, command);
      const sync = outcome.events.find((e) => e.type === 'INSTANCE_FOLDER_SYNC_REQUESTED');
      if (!sync) throw new Error(`${command.type} started no sync`);
      await h.provision(sync);
      await h.settled();
      const state = await h.state(instanceId);
      if (state.status === 'NEW') throw new Error('no instance');
      expect(state.change).toMatchObject({ kind: 'sync', phase: 'succeeded' });
      expect(state.committedSuspended).toBe(command.type === 'Suspend');
      expect(await locals(String(state.change.commitSha), state.tenantId)).toEqual(counts);
    }
    const state = await h.state(instanceId);
    expect(state).toMatchObject({ status: 'SCALING', change: { n: 3 } });
    expect(await h.log('dev')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sync tenant .* \(dev, change 2\)/)]),
    );
    expect(h.failures).toEqual([]);
  }, 30_000);

  it('records a failed workflow run: FAILED with the run and its conclusion', async () => {
    const { instanceId, event } = await h.request('dev', 9);
    const state = await h.state(instanceId);
    if (state.status === 'NEW') throw new Error('no instance');
    h.local.standIns.github.failNext({ tenantId: state.tenantId });
    await h.provision(event);
    await h.settled();
    const after = await h.state(instanceId);
    expect(after.status).toBe('FAILED');
    expect(await dataOf(instanceId, 'INSTANCE_WORKFLOW_FAILED')).toMatchObject({
      change: 1,
      conclusion: 'failure',
      runId: after.status === 'NEW' ? -1 : after.change.run?.id,
    });
  }, 30_000);

  it('refuses a broken Terraform file before any commit: FAILED, check_failed, nothing pushed', async () => {
    const { instanceId, event } = await h.request('dev', 13);
    const before = await h.log('dev');
    h.deps.generate = (input) => {
      const folder = generateTenantFolder(input);
      const service = JSON.parse(folder.files['service.tf.json'] ?? '{}');
      service.resource.aws_ecs_service.wordpress.task_definition = `\${aws_ecs_task_definition.missing.arn}`;
      return { ...folder, files: { ...folder.files, 'service.tf.json': JSON.stringify(service) } };
    };
    try {
      await h.provision(event);
    } finally {
      delete h.deps.generate;
    }
    expect((await h.state(instanceId)).status).toBe('FAILED');
    expect(await dataOf(instanceId, 'INSTANCE_WORKFLOW_FAILED')).toMatchObject({
      conclusion: 'check_failed',
      reason: expect.stringMatching(/missing/),
    });
    expect(await h.log('dev')).toEqual(before);
    expect(h.local.standIns.github.runs.filter((r) => r.inputs.event_id === event.eventId)).toEqual([]);
  }, 30_000);

  it('deprovisions: destroy on the folder, then the folder removed in its own commit, DELETED', async () => {
    const { instanceId, event } = await h.request('dev', 17);
    await h.provision(event);
    await h.settled();
    const state = await h.state(instanceId);
    if (state.status === 'NEW') throw new Error('no instance');
    const outcome = await h.command(instanceId, { type: 'Deprovision', reason: 'test' });
    await h.provision(outcome.events[0] as never);
    await h.settled();
    expect((await h.state(instanceId)).status).toBe('DELETED');
    expect(await h.tree('dev')).not.toContain(tenantFolder(state.tenantId));
    const destroy = h.local.standIns.github.runs.filter(
      (r) => r.inputs.event_id === outcome.events[0]?.eventId && r.inputs.action === 'destroy',
    );
    expect(destroy).toHaveLength(1);
    expect(await dataOf(instanceId, 'INSTANCE_DEPROVISIONED')).toMatchObject({
      commitSha: await h.head('dev'),
    });
  }, 30_000);

  it("reports a step the decider refuses (another run than the change's) as failed: to the DLQ, never dropped", async () => {
    const { instanceId, event } = await h.request('dev', 29);
    const state = await h.state(instanceId);
    if (state.status === 'NEW') throw new Error('no instance');
    await h.command(instanceId, {
      type: 'RecordCommit',
      change: 1,
      commitSha: 'a'.repeat(40),
      changed: true,
    });
    await h.command(instanceId, {
      type: 'RecordWorkflowQueued',
      change: 1,
      runId: 999_999_999,
      runUrl: 'https://github.invalid/runs/999999999',
    });
    // A real, completed run of the same repository, but not this change's.
    const elsewhere = await h.request('dev', 33);
    await h.provision(elsewhere.event);
    await h.settled();
    const other = h.local.standIns.github.runs.find((r) => r.inputs.event_id === elsewhere.event.eventId);
    expect(other?.status).toBe('completed');
    const before = (await h.events(instanceId)).length;
    const counted: string[] = [];
    let flushed = 0;
    const metrics = {
      count: (name: string, _v?: number, dims?: Record<string, string>) =>
        void counted.push(`${name}:${dims?.consumer}`),
      flush: () => void flushed++,
    };
    const consume = followConsumer(() => ({
      provisioner: h.deps,
      logger,
      metrics,
      ledger: new InMemoryConsumerLedger(),
    }));
    const followUp = {
      instanceId,
      tenantId: state.tenantId,
      change: 1,
      runId: other?.id ?? 1,
      action: 'apply',
      eventId: event.eventId,
      correlationId: 'c',
      attempt: 0,
    };
    const answer = await consume({
      Records: [
        { messageId: 'm1', body: JSON.stringify(followUp), attributes: { ApproximateReceiveCount: '1' } },
        { messageId: 'm2', body: '{"not":"a follow-up"}', attributes: { ApproximateReceiveCount: '1' } },
      ],
    } as never);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect((await h.events(instanceId)).length).toBe(before);
    // Both failures counted where the alarms look (ConsumerFailures), and the metrics flushed once.
    expect(counted).toEqual(['ConsumerFailures:provisionerFollow', 'ConsumerFailures:provisionerFollow']);
    expect(flushed).toBe(1);
  }, 30_000);

  it('deprovisions a folder never committed at once', async () => {
    const { instanceId } = await h.request('dev', 21);
    const outcome = await h.command(instanceId, { type: 'Deprovision', reason: 'test' });
    await h.provision(outcome.events[0] as never);
    expect((await h.state(instanceId)).status).toBe('DELETED');
  });
});

describe('the webhooks', () => {
  it('refuses a forged or missing signature with 401 problem+json, appending nothing', async () => {
    const { instanceId } = await h.request('sit', 9);
    const body = JSON.stringify({ action: 'completed' });
    const before = (await h.store.load(instanceStream.id(instanceId))).version;
    for (const [path, header] of [
      ['/v1.0/webhooks/github', 'x-hub-signature-256'],
      ['/v1.0/webhooks/deploy-outcome', 'x-bbws-signature-256'],
    ] as const) {
      const missing = await h.webhook(path, body, { 'x-github-event': 'workflow_run' });
      const forged = await h.webhook(path, body, {
        'x-github-event': 'workflow_run',
        [header]: signature('guess', body),
      });
      for (const answer of [missing, forged]) {
        expect(answer.status).toBe(401);
        expect(answer.headers['content-type']).toMatch(/problem\+json/);
      }
    }
    expect((await h.store.load(instanceStream.id(instanceId))).version).toBe(before);
  });

  it('records RUNNING, the outcome and the resources from the signed webhooks alone (no polling)', async () => {
    const quiet = await startProvisionerHarness({ follow: false });
    try {
      const { instanceId, event } = await quiet.request('dev', 25);
      await quiet.provision(event);
      await quiet.local.standIns.github.idle();
      const received = quiet.local.receiver.received;
      expect(received.length).toBeGreaterThan(0);
      for (const r of received) {
        const path = r.path === '/github' ? '/v1.0/webhooks/github' : '/v1.0/webhooks/deploy-outcome';
        const headers = Object.fromEntries(
          Object.entries(r.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
        );
        const answer = await quiet.webhook(path, r.body, headers);
        expect(answer.status).toBe(202);
        // A second delivery of the same (GitHub redelivers; polling reports the same run): nothing more.
        await quiet.webhook(path, r.body, headers);
      }
      const state = await quiet.state(instanceId);
      expect(state.status).toBe('PROVISIONING');
      const types = (await quiet.events(instanceId)).map((e) => e.type);
      expect(types.filter((t) => t === 'INSTANCE_WORKFLOW_SUCCEEDED')).toHaveLength(1);
      expect(types.filter((t) => t === 'INSTANCE_RESOURCES_RECORDED')).toHaveLength(1);
      if (state.status !== 'NEW') expect(state.resources?.serviceArn).toMatch(/^arn:aws:ecs:/);
    } finally {
      await quiet.stop();
    }
  }, 30_000);

  it("takes GitHub's full-size workflow_run payloads (tens of KB, over the API's 16 KiB body limit)", async () => {
    const body = JSON.stringify({
      action: 'completed',
      workflow_run: {
        id: 1,
        html_url: 'https://github.com/o/r/actions/runs/1',
        status: 'completed',
        conclusion: 'success',
        display_title: 'apply tenant 01JD9A0B1C2D3E4F5G6H7J8K9M [event 01JEVENT]',
        head_commit: { message: 'x'.repeat(40_000) },
      },
      repository: { name: 'nothing', owner: { login: 'nobody' } },
    });
    const answer = await h.webhook('/v1.0/webhooks/github', body, {
      'x-github-event': 'workflow_run',
      'x-hub-signature-256': signature(WEBHOOK_SECRET, body),
    });
    expect(answer).toMatchObject({ status: 202, body: { result: 'ignored' } });
  });

  it('ignores other events and runs no change of the platform recorded', async () => {
    const dev = h.local.standIns.git.repositories.dev;
    const body = JSON.stringify({ zen: 'hi' });
    const ping = await h.webhook('/v1.0/webhooks/github', body, {
      'x-github-event': 'ping',
      'x-hub-signature-256': signature(WEBHOOK_SECRET, body),
    });
    expect(ping.status).toBe(202);
    const report = JSON.stringify({
      tenantId: '01JD9A0B1C2D3E4F5G6H7J8K9M',
      action: 'apply',
      eventId: 'X',
      outcome: 'success',
      runId: '1',
      repository: `${dev.owner}/${dev.name}`,
      outputs: { service_arn: 'arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/bbws-dev-tenant-x' },
    });
    const answer = await h.webhook('/v1.0/webhooks/deploy-outcome', report, {
      'x-bbws-signature-256': signature(OUTCOME_SECRETS.dev, report),
    });
    expect(answer).toMatchObject({ status: 202, body: { result: 'ignored' } });
    // Signed with another environment's secret, or naming no environment's repository: 401.
    const elsewhere = report.replace(`${dev.owner}/${dev.name}`, 'nobody/nothing');
    for (const [body, secret] of [
      [report, OUTCOME_SECRETS.prod],
      [elsewhere, OUTCOME_SECRETS.dev],
    ] as const) {
      const refused = await h.webhook('/v1.0/webhooks/deploy-outcome', body, {
        'x-bbws-signature-256': signature(secret, body),
      });
      expect(refused.status).toBe(401);
    }
  });
});
