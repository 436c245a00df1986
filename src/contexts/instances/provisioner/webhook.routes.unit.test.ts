import { createHmac } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { IllegalStateError, UnprocessableError } from '#src/platform/domain/errors.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { instanceDecider } from '../domain/instance.decider.js';
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

describe('the deploy-outcome webhook and the ecs-service mapping (review 10, #2)', () => {
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
