import { createHmac } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { planOf } from '#src/contexts/plans/index.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { IllegalStateError, UnprocessableError } from '#src/platform/domain/errors.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { activeInstance, serviceArnOf } from '../ecs/instance-fixtures.js';
import { webhookRoutes } from './webhook.routes.js';

const SECRET = 'deploy-outcome-secret';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

function world() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const deps = {
    runner,
    store,
    credentials: async () => ({ token: 't', webhookSecret: 'w', deployOutcomeSecret: SECRET }),
    repositories: { dev: { owner: 'o', name: 'dev-env' }, prod: { owner: 'o', name: 'prod-env' } },
  };
  const route = webhookRoutes.find((r) => r.path === '/v1.0/webhooks/deploy-outcome');
  if (!route) throw new Error('no deploy-outcome route');
  const post = (report: object) => {
    const rawBody = JSON.stringify(report);
    return route.handle(
      { rawBody, headers: { 'x-bbws-signature-256': sign(rawBody) }, correlationId: ulid() } as never,
      deps as never,
    );
  };
  const head = async (streamId: string) =>
    stateOf(instanceDecider, await store.load(streamId)) as {
      status: string;
      resources?: { serviceArn: string };
    };
  const report = (tenantId: string, serviceArn: string) => ({
    tenantId,
    action: 'apply',
    eventId: ulid(),
    outcome: 'success',
    runId: 7,
    repository: 'o/prod-env',
    outputs: { service_arn: serviceArn },
  });
  return { store, runner, post, head, report };
}

let slots = 0;
/** An instance whose change 1 runs as run 7 (committed with the tier's counts, not suspended). */
async function runningInstance(runner: CommandRunner, environment: 'dev' | 'prod' = 'prod') {
  const tenantId = ulid();
  const instanceId = ulid();
  const streamId = instanceStream.id(instanceId);
  const run = (command: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
  const { planId, version, tier, environments } = planOf('business');
  const runRef = { runId: 7, runUrl: 'https://github.com/o/prod-env/actions/runs/7' };
  for (const command of [
    {
      type: 'RequestProvisioning',
      instanceId,
      tenantId,
      environment,
      tenantEnvironment: 'prod',
      plan: { planId, version, tier, environments },
      albSlot: { alb: 2, priority: 1 + 4 * slots++ },
    },
    { type: 'RecordCommit', change: 1, commitSha: 'b'.repeat(40), changed: true, suspended: false },
    { type: 'RecordWorkflowQueued', change: 1, ...runRef },
    { type: 'RecordWorkflowRunning', change: 1, ...runRef },
  ] satisfies InstanceCommand[])
    await run(command);
  return { tenantId, instanceId, streamId, serviceArn: serviceArnOf(environment, tenantId), run };
}

describe('the deploy-outcome webhook and the ecs-service mapping (review 10, #2)', () => {
  it('records the resources even when the outcome starts a folder sync (suspended during the run)', async () => {
    const { runner, post, head, store, report } = world();
    const a = await runningInstance(runner);
    await a.run({ type: 'Suspend', reason: 'tenant parked' });
    await expect(post(report(a.tenantId, a.serviceArn))).resolves.toMatchObject({ status: 202 });
    const state = await head(a.streamId);
    expect(state.resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${a.serviceArn}`)).toBe(a.streamId);
    const types = (await store.readStream(a.streamId)).map((e) => e.type);
    expect(types.slice(-3)).toEqual([
      'INSTANCE_RESOURCES_RECORDED',
      'INSTANCE_WORKFLOW_SUCCEEDED',
      'INSTANCE_FOLDER_SYNC_REQUESTED',
    ]);
  });

  it('records the outputs of the current change once: the same report again changes nothing', async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod', withResources: false });
    const same = report(a.tenantId, a.serviceArn);
    await expect(post(same)).resolves.toMatchObject({ status: 202, body: { result: 'recorded' } });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    const version = (await store.load(a.streamId)).version;
    await expect(post(same)).resolves.toMatchObject({ status: 202 });
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses a report naming ANOTHER tenant's service (422 outputs.service_arn), nothing recorded", async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod' }); // change 1 ran as run 7, long succeeded
    const victimArn = serviceArnOf('prod', ulid());
    const version = (await store.load(a.streamId)).version;
    await expect(post(report(a.tenantId, victimArn))).rejects.toMatchObject({
      constructor: UnprocessableError,
      field: 'outputs.service_arn',
      code: 'service_not_this_instance',
    });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${victimArn}`)).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses a service of no tenant, or of this tenant's other environment, for a prod instance (422)", async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod', withResources: false });
    const version = (await store.load(a.streamId)).version;
    for (const arn of [
      'arn:aws:ecs:af-south-1:000000000000:service/x/bogus',
      serviceArnOf('dev', a.tenantId),
    ]) {
      await expect(post(report(a.tenantId, arn))).rejects.toMatchObject({ field: 'outputs.service_arn' });
    }
    await expect(
      post({
        ...report(a.tenantId, a.serviceArn),
        outputs: { service_arn: a.serviceArn, service_name: 'x' },
      }),
    ).rejects.toMatchObject({ field: 'outputs.service_name' });
    expect((await head(a.streamId)).resources).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses other outputs for a change that recorded its own (409 resources_already_recorded): the tenant's name in another account", async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod' });
    const elsewhere = serviceArnOf('prod', a.tenantId, '999999999999');
    await expect(post(report(a.tenantId, elsewhere))).rejects.toMatchObject({
      constructor: IllegalStateError,
      code: 'resources_already_recorded',
    });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${elsewhere}`)).toBeUndefined();
  });
});
