import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { Principal } from '#src/platform/auth/principal.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { ForbiddenError, IllegalStateError, NotFoundError } from '#src/platform/domain/errors.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { counterCatalogue, counterDecider } from '#test/counter.decider.js';
import { metadata } from '#test/fixtures.js';
import { type TenantCommand, tenantDecider } from '../domain/tenant.decider.js';
import { tenantEventDefinitions } from '../domain/tenant.events.js';
import { tenantStream } from '../domain/tenant.stream.js';
import { accessTenant, tenantAccess } from './tenant.access.js';

const operator: Principal = { sub: 'op', platformRoles: ['Operator'] };
const user = (sub: string): Principal => ({ sub, platformRoles: [] });

/** Tenants plus a counter stream standing in for an instance that its tenant's stream authorises. */
function setup() {
  const inner = new InMemoryEventStore(
    new EventCatalogue([...tenantEventDefinitions, ...counterCatalogue.definitions]),
  );
  const hooks: (() => Promise<void>)[] = [];
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      for (const hook of hooks.splice(0)) await hook();
      return inner.append(...args);
    },
  });
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const tenant = (tenantId: string, command: TenantCommand) =>
    runner.run({
      decider: tenantDecider,
      streamId: tenantStream.id(tenantId),
      command,
      metadata: metadata(),
      result: () => null,
    });
  return { inner, store, runner, tenant, beforeNextAppend: (hook: () => Promise<void>) => hooks.push(hook) };
}

async function tenantWithAdmin(tenant: ReturnType<typeof setup>['tenant'], userId = 'ta') {
  const tenantId = ulid();
  await tenant(tenantId, {
    type: 'CreateTenant',
    tenantId,
    organizationName: `Org ${tenantId}`,
    contactEmail: 'a@b.test',
    environment: 'dev',
  });
  await tenant(tenantId, { type: 'AssignUser', userId, role: 'TenantAdmin' });
  await tenant(tenantId, { type: 'AssignUser', userId: 'tm', role: 'TenantMember' });
  return tenantId;
}

describe('tenant access', () => {
  it('grants by platform role or membership, 404 to anyone else, 403 when the role falls short', async () => {
    const { store, tenant } = setup();
    const id = await tenantWithAdmin(tenant);
    const check = (principal: Principal, need: 'member' | 'tenantAdmin' | 'platform') =>
      tenantAccess(store)
        .check(principal, id, need)
        .then((grant) => grant.role)
        .catch((error: unknown) => (error as Error).name);
    expect(await check(operator, 'platform')).toBe('Operator');
    expect(await check(user('ta'), 'tenantAdmin')).toBe('TenantAdmin');
    expect(await check(user('ta'), 'platform')).toBe('ForbiddenError');
    expect(await check(user('tm'), 'member')).toBe('TenantMember');
    expect(await check(user('tm'), 'tenantAdmin')).toBe('ForbiddenError');
    expect(await check(user('stranger'), 'member')).toBe('NotFoundError');
    for (const sub of [
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
    ]) {
      expect(await check(user(sub), 'member'), sub).toBe('NotFoundError');
    }
    await expect(tenantAccess(store).check(operator, ulid(), 'member')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports the tenant stream it read: the version for the ETag, the load for the command', async () => {
    const { store, tenant } = setup();
    const id = await tenantWithAdmin(tenant);
    const { grant, state } = await accessTenant(store, user('ta'), id, 'member');
    expect(grant).toMatchObject({ tenantId: id, streamId: `tenant-${id}`, status: 'ACTIVE' });
    expect(grant.loaded.version).toBe(3);
    expect(state.status).toBe('ACTIVE');
  });

  it('refuses a parked tenant where the operation needs it running (409 tenant_parked)', async () => {
    const { store, tenant } = setup();
    const id = await tenantWithAdmin(tenant);
    await tenant(id, { type: 'ParkTenant', reason: 'unpaid' });
    const access = tenantAccess(store);
    expect((await access.check(user('ta'), id, 'tenantAdmin')).status).toBe('PARKED');
    await expect(access.check(user('ta'), id, { need: 'tenantAdmin', active: true })).rejects.toMatchObject({
      code: 'tenant_parked',
    });
  });
});

describe('tenant access as a dependency of a command on another stream (an instance, say)', () => {
  const instanceCommand = (
    runner: CommandRunner,
    store: EventStore,
    grant: Awaited<ReturnType<ReturnType<typeof tenantAccess>['check']>>,
    principal: Principal,
    requirement: Parameters<ReturnType<typeof tenantAccess>['dependency']>[2],
    instance: string,
  ) =>
    runner.run({
      decider: counterDecider(),
      streamId: instance,
      command: { type: 'Add', amount: 1 },
      metadata: metadata({ actor: principal.sub }),
      dependsOn: [tenantAccess(store).dependency(principal, grant, requirement)],
      result: ({ version }) => version,
    });

  it('refuses the command of a member removed while it is in flight, and writes nothing', async () => {
    const { store, runner, tenant, inner, beforeNextAppend } = setup();
    const id = await tenantWithAdmin(tenant);
    const grant = await tenantAccess(store).check(user('ta'), id, 'tenantAdmin');
    beforeNextAppend(() => tenant(id, { type: 'RemoveUser', userId: 'ta' }).then(() => undefined));
    const instance = `instance-${ulid()}`;
    await expect(
      instanceCommand(runner, store, grant, user('ta'), 'tenantAdmin', instance),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await inner.readStream(instance)).toEqual([]);
  });

  it('refuses it when the tenant is parked in flight, where it needs the tenant running', async () => {
    const { store, runner, tenant, inner, beforeNextAppend } = setup();
    const id = await tenantWithAdmin(tenant);
    const requirement = { need: 'tenantAdmin', active: true } as const;
    const grant = await tenantAccess(store).check(user('ta'), id, requirement);
    beforeNextAppend(() => tenant(id, { type: 'ParkTenant', reason: 'unpaid' }).then(() => undefined));
    const instance = `instance-${ulid()}`;
    await expect(
      instanceCommand(runner, store, grant, user('ta'), requirement, instance),
    ).rejects.toBeInstanceOf(IllegalStateError);
    expect(await inner.readStream(instance)).toEqual([]);
  });

  it('decides again when something else changed in the tenant, and goes ahead', async () => {
    const { store, runner, tenant, beforeNextAppend } = setup();
    const id = await tenantWithAdmin(tenant);
    const grant = await tenantAccess(store).check(user('tm'), id, 'member');
    beforeNextAppend(() =>
      tenant(id, { type: 'UpdateTenant', contactEmail: 'new@b.test' }).then(() => undefined),
    );
    expect(
      await instanceCommand(runner, store, grant, user('tm'), 'member', `instance-${ulid()}`),
    ).toMatchObject({
      version: 1,
    });
    await expect(
      instanceCommand(runner, store, grant, user('tm'), 'tenantAdmin', `instance-${ulid()}`),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});
