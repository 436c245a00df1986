import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { metadata } from '#test/fixtures.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { slotCandidates } from '../domain/placement.js';
import { ecsFact, RUN, SHA } from '../domain/transition-table.js';
import { ecsStateSync } from '../ecs/ecs-state-sync.js';
import { InMemoryEcsControl } from '../ecs/in-memory.ecs-control.js';
import { serviceArnOf } from '../ecs/instance-fixtures.js';
import { instancesOwnedBy } from '../ownership.js';
import { api } from './instance-api.harness.js';

type Harness = ReturnType<typeof api>;

/** What the provisioner and the ECS state sync would record, to bring an instance to ACTIVE (or FAILED). */
async function provision(h: Harness, instanceId: string, outcome: 'succeeded' | 'failed' = 'succeeded') {
  const steps: InstanceCommand[] = [
    { type: 'RecordCommitStarted', change: 1 },
    { type: 'RecordCommit', change: 1, commitSha: SHA, changed: true },
    { type: 'RecordWorkflowQueued', change: 1, ...RUN },
    { type: 'RecordWorkflowRunning', change: 1, ...RUN },
    { type: 'RecordWorkflowOutcome', change: 1, runId: RUN.runId, outcome, conclusion: outcome },
    ...(outcome === 'succeeded'
      ? // dated by ECS after the instance was requested (an older fact is a predecessor's: dropped)
        [
          {
            type: 'RecordEcsEvent',
            fact: { ...ecsFact('SERVICE_STEADY_STATE', 1), at: new Date().toISOString() },
          } as const,
        ]
      : []),
  ];
  for (const command of steps) {
    await h.deps.runner.run({
      decider: instanceDecider,
      streamId: instanceStream.id(instanceId),
      command,
      metadata: metadata({ actor: 'provisioner' }),
      result: () => null,
    });
  }
}

describe('instance routes: creation', () => {
  it('answers 202 with the instance, its links and its ETag, and serves it from its stream', async () => {
    const h = api();
    const tenantId = await h.tenant.create('prod');
    const created = await h.call('POST', `/tenants/${tenantId}/instances`, 'op', {
      body: { environment: 'prod' },
    });
    const instanceId = String(created.body.instanceId);
    const self = `/v1.0/tenants/${tenantId}/instances/${instanceId}`;
    const capacity = h.deps.albCapacity?.prod;
    if (!capacity) throw new Error('the harness states its ALB capacity');
    expect(created).toMatchObject({
      status: 202,
      headers: { etag: '"1"', location: self },
      body: {
        state: 'PENDING_PROVISIONING',
        planId: 'starter',
        tier: { cpu: 256, memoryMiB: 512 },
        // every slot free: the first the tenant's order tries (placement.ts, slotCandidates)
        albSlot: slotCandidates(capacity, [], tenantId)[0],
        _links: { self: { href: self }, status: { href: `${self}/status` } },
      },
    });
    expect(await h.call('GET', `/tenants/${tenantId}/instances/${instanceId}`, 'op')).toMatchObject({
      status: 200,
      headers: { etag: '"1"' },
      body: { instanceId, state: 'PENDING_PROVISIONING' },
    });
    await provision(h, instanceId);
    expect(await h.call('GET', `/tenants/${tenantId}/instances/${instanceId}/status`, 'op')).toMatchObject({
      status: 200,
      headers: { etag: '"7"' },
      body: {
        state: 'ACTIVE',
        desiredCount: 1,
        lastEcsEvent: { eventName: 'SERVICE_STEADY_STATE', eventType: 'INFO' },
        workflowRun: { id: RUN.runId, url: RUN.runUrl },
        change: { n: 1, kind: 'provision', phase: 'succeeded', commitSha: SHA },
      },
    });
  });

  it("shows the service's desired and running counts the ECS state sync recorded with its last fact", async () => {
    const h = api();
    const tenantId = await h.tenant.create('prod');
    const instanceId = await h.newInstance(tenantId, 'prod');
    await provision(h, instanceId);
    const status = () => h.call('GET', `/tenants/${tenantId}/instances/${instanceId}/status`, 'op');
    expect((await status()).body).toMatchObject({ ecsDesiredCount: null, runningCount: null });
    // the state sync as deployed, on ECS in memory: the service (found by its name) at 2 desired, 2 running
    const ecs = new InMemoryEcsControl();
    const serviceArn = serviceArnOf('prod', tenantId);
    ecs.create(serviceArn, 2);
    const sync = ecsStateSync(() => ({
      store: h.deps.store,
      runner: h.deps.runner,
      services: () => ecs.services,
      clusterArnOf: (environment) => `arn:aws:ecs:af-south-1:000000000000:cluster/bbws-${environment}`,
    }));
    const base = Date.now() + 60_000; // after the steady state provision() recorded
    const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
    const steady = (minute: number) => ({
      id: ulid(),
      source: 'aws.ecs',
      account: '000000000000',
      'detail-type': 'ECS Service Action',
      time: at(0),
      resources: [serviceArn],
      detail: {
        eventType: 'INFO',
        eventName: 'SERVICE_STEADY_STATE',
        clusterArn: 'arn:aws:ecs:af-south-1:000000000000:cluster/bbws-prod',
        createdAt: at(minute),
      },
    });
    const logger = new Logger({ logLevel: 'SILENT' });
    await sync.handle(steady(1), { logger });
    expect((await status()).body).toMatchObject({
      state: 'ACTIVE',
      desiredCount: 1,
      ecsDesiredCount: 2,
      runningCount: 2,
      lastEcsEvent: { eventName: 'SERVICE_STEADY_STATE', at: at(1) },
    });
    // a later fact whose counts could not be read: the last counts read stay
    ecs.delete(serviceArn);
    await sync.handle(steady(2), { logger });
    expect((await status()).body).toMatchObject({
      ecsDesiredCount: 2,
      runningCount: 2,
      lastEcsEvent: { at: at(2) },
    });
  });

  it('gives one instance per tenant and environment (409 naming environment) and follows the plan and the ladder (422)', async () => {
    const h = api();
    const prod = await h.tenant.create('prod');
    await h.newInstance(prod, 'prod');
    expect(
      await h.call('POST', `/tenants/${prod}/instances`, 'op', { body: { environment: 'prod' } }),
    ).toMatchObject({
      status: 409,
      body: { field: 'environment', code: 'already_taken' },
    });
    // starter includes dev and prod: not sit
    expect(
      await h.call('POST', `/tenants/${prod}/instances`, 'op', { body: { environment: 'sit' } }),
    ).toMatchObject({
      status: 422,
      body: { field: 'environment', code: 'environment_not_allowed' },
    });
    const sit = await h.tenant.create('sit', 'business');
    await h.newInstance(sit, 'sit');
    await h.newInstance(sit, 'dev');
    expect(
      await h.call('POST', `/tenants/${sit}/instances`, 'op', { body: { environment: 'prod' } }),
    ).toMatchObject({
      status: 422,
      body: { field: 'environment' },
    });
    expect(await instancesOwnedBy(h.store, sit)).toBe(2);
    expect(await instancesOwnedBy(h.store, prod)).toBe(1);
    expect(await instancesOwnedBy(h.store, ulid())).toBe(0);
  });

  it('allocates each instance its own ALB slot, even when the read model lags, until none is left', async () => {
    // prod in the harness: 2 ALBs of 8 listener rules, 2 slots of 4 priorities each
    for (const lagging of [false, true]) {
      const h = api({ lagging });
      const tenants = await Promise.all([1, 2, 3, 4, 5].map(() => h.tenant.create('prod')));
      const replies = await Promise.all(
        tenants.map((t) =>
          h.call('POST', `/tenants/${t}/instances`, 'op', { body: { environment: 'prod' } }),
        ),
      );
      const slots = replies.filter((r) => r.status === 202).map((r) => JSON.stringify(r.body.albSlot));
      expect(slots.sort(), `lagging ${lagging}`).toEqual([
        '{"alb":1,"priority":1}',
        '{"alb":1,"priority":5}',
        '{"alb":2,"priority":1}',
        '{"alb":2,"priority":5}',
      ]);
      expect(replies.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(['no_alb_slot']);
    }
  });

  it("reuses a deleted instance's slot and environment", async () => {
    const h = api();
    // prod in the harness: 4 slots, all taken
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => h.tenant.create('prod')));
    const first = await h.newInstance(a as string, 'prod');
    for (const t of [b, c, d]) await h.newInstance(t as string, 'prod');
    const slotOf = async (t: string, i: string) =>
      (await h.call('GET', `/tenants/${t}/instances/${i}`, 'op')).body.albSlot;
    const freed = await slotOf(a as string, first);
    await provision(h, first);
    expect((await h.call('DELETE', `/tenants/${a}/instances/${first}`, 'op')).body).toMatchObject({
      state: 'DEPROVISIONING',
    });
    await h.deps.runner.run({
      decider: instanceDecider,
      streamId: instanceStream.id(first),
      command: { type: 'RecordDeprovisioned', change: 2 },
      metadata: metadata(),
      result: () => null,
    });
    const again = await h.call('POST', `/tenants/${a}/instances`, 'op', { body: { environment: 'prod' } });
    expect(again).toMatchObject({ status: 202, body: { albSlot: freed } });
    expect(again.body.instanceId).not.toBe(first);
    expect(
      (await h.call('POST', `/tenants/${e}/instances`, 'op', { body: { environment: 'prod' } })).body,
    ).toMatchObject({ status: 409, code: 'no_alb_slot' });
  });

  it('replays a create under the same Idempotency-Key', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    const headers = { 'idempotency-key': 'create-1' };
    const first = await h.call('POST', `/tenants/${t}/instances`, 'op', {
      body: { environment: 'prod' },
      headers,
    });
    const retry = await h.call('POST', `/tenants/${t}/instances`, 'op', {
      body: { environment: 'prod' },
      headers,
    });
    expect(retry).toMatchObject({
      status: 202,
      headers: { 'idempotent-replayed': 'true' },
      body: first.body,
    });
  });
});

describe('instance routes: the tenant authorises, and its status conditions, every user command', () => {
  it('refuses user commands on a parked or deleted tenant (409), and still answers reads', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    const i = await h.newInstance(t, 'prod');
    await provision(h, i);
    await h.tenant.park(t);
    for (const [method, path, body] of [
      ['POST', `/tenants/${t}/instances`, { environment: 'dev' }],
      ['POST', `/tenants/${t}/instances/${i}/scale`, { desiredCount: 2 }],
      ['POST', `/tenants/${t}/instances/${i}/retry`, undefined],
      ['PATCH', `/tenants/${t}/instances/${i}`, { planId: 'starter' }],
      ['DELETE', `/tenants/${t}/instances/${i}`, undefined],
    ] as const) {
      expect(await h.call(method, path, 'op', body ? { body } : {}), `${method} ${path}`).toMatchObject({
        status: 409,
        body: { code: 'tenant_parked' },
      });
    }
    expect((await h.call('GET', `/tenants/${t}/instances/${i}`, 'op')).status).toBe(200);
    await h.tenant.remove(t);
    expect(
      (await h.call('POST', `/tenants/${t}/instances/${i}/scale`, 'op', { body: { desiredCount: 2 } })).body,
    ).toMatchObject({ code: 'tenant_deleted' });
  });

  it('does not write a command whose tenant was parked while it was in flight', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    const i = await h.newInstance(t, 'prod');
    await provision(h, i);
    h.beforeNextAppend(async () => void (await h.tenant.park(t)));
    expect(
      await h.call('POST', `/tenants/${t}/instances/${i}/scale`, 'op', { body: { desiredCount: 2 } }),
    ).toMatchObject({
      status: 409,
      body: { code: 'tenant_parked' },
    });
    expect((await h.call('GET', `/tenants/${t}/instances/${i}`, 'op')).body).toMatchObject({
      desiredCount: 1,
    });
  });

  it('refuses a create whose tenant changed plan while it was in flight (it was built on the old plan)', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    h.beforeNextAppend(async () => void (await h.tenant.changePlan(t, 'enterprise')));
    expect(
      await h.call('POST', `/tenants/${t}/instances`, 'op', { body: { environment: 'prod' } }),
    ).toMatchObject({
      status: 409,
      body: { code: 'tenant_changed' },
    });
    expect(
      (await h.call('POST', `/tenants/${t}/instances`, 'op', { body: { environment: 'prod' } })).body,
    ).toMatchObject({
      planId: 'enterprise',
      tier: { cpu: 1024, desiredCount: 2 },
    });
  });

  it('goes ahead when the plan named in flight is the one it was built on (the default, now chosen)', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    h.beforeNextAppend(async () => void (await h.tenant.changePlan(t, 'starter')));
    expect(
      await h.call('POST', `/tenants/${t}/instances`, 'op', { body: { environment: 'prod' } }),
    ).toMatchObject({
      status: 202,
      body: { planId: 'starter' },
    });
  });

  it("answers another tenant's instance, or one that does not exist, with 404", async () => {
    const h = api();
    const [a, b] = [await h.tenant.create('prod'), await h.tenant.create('prod')];
    const i = await h.newInstance(a, 'prod');
    await h.tenant.assign(b, 'bob', 'TenantAdmin');
    expect((await h.call('GET', `/tenants/${b}/instances/${i}`, 'bob')).body).toMatchObject({
      status: 404,
      detail: 'instance not found',
    });
    expect((await h.call('GET', `/tenants/${b}/instances/${ulid()}`, 'op')).status).toBe(404);
    expect((await h.call('GET', `/tenants/${a}/instances/-x`, 'op')).body).toMatchObject({
      field: 'instanceId',
    });
  });
});

describe('instance routes: scale, retry, the plan tier, delete', () => {
  it("scales within the plan's bounds (422 naming desiredCount outside), only a serving instance", async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    await h.tenant.assign(t, 'ta', 'TenantAdmin');
    const i = await h.newInstance(t, 'prod');
    const scale = (desiredCount: number) =>
      h.call('POST', `/tenants/${t}/instances/${i}/scale`, 'ta', { body: { desiredCount } });
    expect((await scale(2)).body).toMatchObject({ status: 409, code: 'instance_not_serving' });
    await provision(h, i);
    expect(await scale(3)).toMatchObject({
      status: 422,
      body: { field: 'desiredCount', code: 'desired_count_out_of_bounds' },
    });
    expect(await scale(2)).toMatchObject({ status: 202, body: { state: 'SCALING', desiredCount: 2 } });
  });

  it('retries a failed provisioning (TenantAdmin), and only a failed one', async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    await h.tenant.assign(t, 'ta', 'TenantAdmin');
    const i = await h.newInstance(t, 'prod');
    expect((await h.call('POST', `/tenants/${t}/instances/${i}/retry`, 'ta')).body).toMatchObject({
      code: 'instance_not_failed',
    });
    await provision(h, i, 'failed');
    expect(await h.call('POST', `/tenants/${t}/instances/${i}/retry`, 'ta')).toMatchObject({
      status: 202,
      body: { state: 'PENDING_PROVISIONING' },
    });
  });

  it("applies the tenant's plan's tier on PATCH {planId}, refusing any other plan (422)", async () => {
    const h = api();
    const t = await h.tenant.create('prod');
    const i = await h.newInstance(t, 'prod');
    await provision(h, i);
    expect(
      await h.call('PATCH', `/tenants/${t}/instances/${i}`, 'op', { body: { planId: 'business' } }),
    ).toMatchObject({
      status: 422,
      body: { field: 'planId', code: 'not_the_tenant_plan' },
    });
    await h.tenant.changePlan(t, 'business');
    const patched = await h.call('PATCH', `/tenants/${t}/instances/${i}`, 'op', {
      body: { planId: 'business' },
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { state: 'SCALING', planId: 'business', tier: { cpu: 512 } },
    });
    const again = await h.call('PATCH', `/tenants/${t}/instances/${i}`, 'op', {
      body: { planId: 'business' },
      headers: { 'if-match': String(patched.headers.etag) },
    });
    expect(again).toMatchObject({ status: 200, headers: { etag: patched.headers.etag } });
  });
});

describe('instance routes: lists', () => {
  it("lists a tenant's instances from the read model once it shows the caller's create (503 before)", async () => {
    const h = api({ lagging: true, readYourWritesMs: 30 });
    const t = await h.tenant.create('prod');
    const i = await h.newInstance(t, 'prod');
    expect(await h.call('GET', `/tenants/${t}/instances`, 'op')).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
    });
    h.catchUp();
    expect((await h.call('GET', `/tenants/${t}/instances`, 'op')).body).toMatchObject({
      items: [{ instanceId: i, state: 'PENDING_PROVISIONING' }],
    });
    expect((await h.call('GET', `/tenants/${t}/instances?state=ACTIVE`, 'op')).body).toMatchObject({
      items: [],
    });
  });

  it('lists instances across tenants by state and environment for platform roles only', async () => {
    const h = api();
    const [a, b] = [await h.tenant.create('prod', 'business'), await h.tenant.create('prod')];
    const [ia, ib] = [await h.newInstance(a, 'sit'), await h.newInstance(b, 'prod')];
    await provision(h, ib);
    const ids = async (query: string) =>
      ((await h.call('GET', `/instances?${query}`, 'op')).body.items as { instanceId: string }[]).map(
        (x) => x.instanceId,
      );
    expect(await ids('state=PENDING_PROVISIONING')).toEqual([ia]);
    expect(await ids('state=ACTIVE&environment=prod')).toEqual([ib]);
    expect(await ids('state=ACTIVE&environment=sit')).toEqual([]);
    expect(await ids('environment=sit')).toEqual([ia]);
    expect((await h.call('GET', '/instances', 'op')).body).toMatchObject({ status: 400, field: 'state' });
    await h.tenant.assign(a, 'ta', 'TenantAdmin');
    expect((await h.call('GET', '/instances?state=ACTIVE', 'ta')).status).toBe(403);
  });
});
