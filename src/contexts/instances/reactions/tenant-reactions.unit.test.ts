import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { planOf } from '#src/contexts/plans/index.js';
import { tenantStream } from '#src/contexts/tenants/index.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { integrationDetail } from '#test/lambda-events.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState } from '../domain/instance.state.js';
import { activeInstance } from '../ecs/instance-fixtures.js';
import { reactionOf, type TenantTrigger, tenantReactions } from './tenant-reactions.js';

const logger = new Logger({ logLevel: 'SILENT' });
const tenantDetail = <T extends TenantTrigger>(type: T, tenantId: string) =>
  integrationDetail({ streamId: tenantStream.id(tenantId), type, version: 2, tenantId, actor: 'op' });

function world() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const reactions = tenantReactions(() => ({ store, runner }));
  const tenantEvent = (tenantId: string, type: string, data: unknown) =>
    store.append(tenantStream.id(tenantId), 'any', [
      {
        eventId: ulid(),
        type,
        occurredAt: new Date().toISOString(),
        data,
        metadata: { correlationId: ulid(), actor: 'op' },
      },
    ]);
  const tenant = async (planId?: string) => {
    const tenantId = ulid();
    await tenantEvent(tenantId, 'TENANT_CREATED', {
      tenantId,
      organizationName: `Org ${tenantId}`,
      contactEmail: 'ops@acme.test',
      environment: 'prod',
    });
    if (planId) await tenantEvent(tenantId, 'PLAN_CHANGED', { planId });
    return tenantId;
  };
  const deliver = (type: TenantTrigger, tenantId: string) =>
    reactions.handle(tenantDetail(type, tenantId), { logger });
  const head = async (streamId: string) =>
    stateOf(instanceDecider, await store.load(streamId)) as Exclude<InstanceState, { status: 'NEW' }>;
  return { store, runner, tenantEvent, tenant, deliver, head };
}

async function tenantWithInstances() {
  const w = world();
  const tenantId = await w.tenant('business');
  const dev = await activeInstance(w.runner, { tenantId, environment: 'dev' });
  const prod = await activeInstance(w.runner, { tenantId, environment: 'prod' });
  return { ...w, tenantId, dev, prod };
}

describe('reactions to tenant events: the command, from the tenant head', () => {
  const facts = (status: 'ACTIVE' | 'PARKED' | 'DELETED', planId?: string) => ({
    tenantId: 't',
    status,
    environment: 'prod' as const,
    planId,
  });
  it('suspends only a tenant still parked, resumes only one still active', () => {
    expect(reactionOf('TENANT_PARKED', facts('PARKED'))).toEqual({
      type: 'Suspend',
      reason: 'tenant parked',
    });
    expect(reactionOf('TENANT_PARKED', facts('ACTIVE'))).toBeUndefined();
    expect(reactionOf('TENANT_UNPARKED', facts('ACTIVE'))).toEqual({ type: 'Resume' });
    expect(reactionOf('TENANT_UNPARKED', facts('PARKED'))).toBeUndefined();
    expect(reactionOf('TENANT_DELETED', facts('DELETED'))).toMatchObject({ type: 'Deprovision' });
    expect(reactionOf('TENANT_PARKED', undefined)).toBeUndefined();
  });

  it("applies the head plan's tier from the catalogue (the default plan without one); none once deleted", () => {
    const enterprise = planOf('enterprise');
    expect(reactionOf('PLAN_CHANGED', facts('PARKED', 'enterprise'))).toEqual({
      type: 'ApplyPlanTier',
      plan: {
        planId: 'enterprise',
        version: enterprise.version,
        tier: enterprise.tier,
        environments: enterprise.environments,
      },
    });
    expect(reactionOf('PLAN_CHANGED', facts('ACTIVE'))).toMatchObject({
      plan: { planId: planOf(undefined).planId },
    });
    expect(reactionOf('PLAN_CHANGED', facts('DELETED', 'enterprise'))).toBeUndefined();
  });
});

describe('reactions to tenant events: the consumer', () => {
  it('park suspends every live instance of the tenant; a repeat appends nothing', async () => {
    const { tenantId, dev, prod, tenantEvent, deliver, head, store } = await tenantWithInstances();
    await tenantEvent(tenantId, 'TENANT_PARKED', { reason: 'unpaid' });
    await deliver('TENANT_PARKED', tenantId);
    expect((await head(dev.streamId)).status).toBe('SUSPENDED');
    expect((await head(prod.streamId)).status).toBe('SUSPENDED');
    const version = (await store.load(prod.streamId)).version;
    await deliver('TENANT_PARKED', tenantId);
    expect((await store.load(prod.streamId)).version).toBe(version);
  });

  it('unpark resumes them with their old counts; a late TENANT_PARKED does not suspend them again', async () => {
    const { tenantId, prod, tenantEvent, deliver, head } = await tenantWithInstances();
    await tenantEvent(tenantId, 'TENANT_PARKED', { reason: 'unpaid' });
    await deliver('TENANT_PARKED', tenantId);
    await tenantEvent(tenantId, 'TENANT_UNPARKED', {});
    await deliver('TENANT_UNPARKED', tenantId);
    await deliver('TENANT_PARKED', tenantId); // re-delivered late
    const state = await head(prod.streamId);
    expect(state.status).not.toBe('SUSPENDED');
    expect(state.desiredCount).toBe(planOf('business').tier.desiredCount);
  });

  it('delete deprovisions each instance; an instance already deleted counts as done', async () => {
    const { tenantId, dev, prod, tenantEvent, deliver, head, runner } = await tenantWithInstances();
    await runner.run({
      decider: instanceDecider,
      streamId: dev.streamId,
      command: { type: 'Deprovision', reason: 'by hand' },
      metadata: { correlationId: ulid(), actor: 'op' },
      result: () => undefined,
    });
    await tenantEvent(tenantId, 'TENANT_DELETED', { force: true });
    await deliver('TENANT_DELETED', tenantId);
    await deliver('TENANT_DELETED', tenantId);
    expect((await head(dev.streamId)).status).toBe('DEPROVISIONING');
    expect((await head(prod.streamId)).status).toBe('DEPROVISIONING');
  });

  it("a plan change applies the plan's tier to each live instance; a deprovisioning one counts as done", async () => {
    const { tenantId, dev, prod, tenantEvent, deliver, head, runner } = await tenantWithInstances();
    await runner.run({
      decider: instanceDecider,
      streamId: dev.streamId,
      command: { type: 'Deprovision', reason: 'by hand' },
      metadata: { correlationId: ulid(), actor: 'op' },
      result: () => undefined,
    });
    await tenantEvent(tenantId, 'PLAN_CHANGED', { planId: 'enterprise' });
    await deliver('PLAN_CHANGED', tenantId);
    const state = await head(prod.streamId);
    expect(state.planId).toBe('enterprise');
    expect(state.tier).toEqual(planOf('enterprise').tier);
  });

  it('drops a command whose tenant moved before it was appended (unparked while the suspend was decided)', async () => {
    const { tenantId, prod, tenantEvent, store, runner, head } = await tenantWithInstances();
    await tenantEvent(tenantId, 'TENANT_PARKED', { reason: 'unpaid' });
    // The tenant is unparked right after this handler read it parked (and that unpark's handler found nothing
    // suspended yet: its Resume was a no-op).
    let unparked = false;
    const racing = Object.assign(Object.create(store) as typeof store, {
      load: async (...args: Parameters<typeof store.load>) => {
        const loaded = await store.load(...args);
        if (!unparked && args[0] === tenantStream.id(tenantId)) {
          unparked = true;
          await tenantEvent(tenantId, 'TENANT_UNPARKED', {});
        }
        return loaded;
      },
    });
    await tenantReactions(() => ({ store: racing, runner })).handle(tenantDetail('TENANT_PARKED', tenantId), {
      logger,
    });
    expect((await head(prod.streamId)).status).toBe('ACTIVE');
  });

  it('a tenant without instances: nothing to do', async () => {
    const { tenant, tenantEvent, deliver } = world();
    const tenantId = await tenant();
    await tenantEvent(tenantId, 'TENANT_PARKED', { reason: 'unpaid' });
    await expect(deliver('TENANT_PARKED', tenantId)).resolves.toBeUndefined();
  });
});
