import { describe, expect, it } from 'vitest';
import { fold } from '#src/platform/domain/decider.js';
import { IllegalStateError, NotFoundError, ValidationError } from '#src/platform/domain/errors.js';
import { deciderSpec } from '#test/decider-spec.js';
import { organizationKey, roleOf, type TenantCommand, tenantDecider } from './tenant.decider.js';
import type { TenantEvent } from './tenant.events.js';

const spec = deciderSpec(tenantDecider);
const created: TenantEvent = {
  type: 'TENANT_CREATED',
  data: { tenantId: 't1', organizationName: 'Acme Corp', contactEmail: 'ops@acme.test', environment: 'dev' },
};
const parked: TenantEvent = { type: 'TENANT_PARKED', data: { reason: 'unpaid' } };
const deleted: TenantEvent = { type: 'TENANT_DELETED', data: { force: false } };
const assigned: TenantEvent = { type: 'USER_ASSIGNED', data: { userId: 'u1', role: 'TenantMember' } };
const tree = { divisions: [{ name: 'Sales', groups: [{ name: 'EMEA', teams: ['North', 'South'] }] }] };
const create: TenantCommand = {
  type: 'CreateTenant',
  tenantId: 't1',
  organizationName: 'Acme Corp',
  contactEmail: 'ops@acme.test',
  environment: 'dev',
};

describe('tenant decider', () => {
  it('creates a tenant', () => spec.given([]).when(create).thenEmits([created]));
  it('refuses to create a tenant twice', () =>
    spec.given([created]).when(create).thenThrows(IllegalStateError, { code: 'tenant_exists' }));
  it('refuses commands on a tenant that does not exist', () =>
    spec.given([]).when({ type: 'ParkTenant', reason: 'x' }).thenThrows(NotFoundError));

  it('updates only what changed', () =>
    spec
      .given([created])
      .when({ type: 'UpdateTenant', organizationName: 'Acme Corp', contactEmail: 'new@acme.test' })
      .thenEmits([{ type: 'TENANT_UPDATED', data: { contactEmail: 'new@acme.test' } }]));
  it('decides nothing for an update that changes nothing', () =>
    spec.given([created]).when({ type: 'UpdateTenant', organizationName: 'Acme Corp' }).thenEmits([]));
  it('refuses to update a deleted tenant', () =>
    spec
      .given([created, deleted])
      .when({ type: 'UpdateTenant', contactEmail: 'x@y.test' })
      .thenThrows(IllegalStateError, { code: 'tenant_deleted' }));

  it('parks with a reason', () =>
    spec.given([created]).when({ type: 'ParkTenant', reason: 'unpaid' }).thenEmits([parked]));
  it('refuses to park a parked tenant', () =>
    spec
      .given([created, parked])
      .when({ type: 'ParkTenant', reason: 'again' })
      .thenThrows(IllegalStateError, {
        code: 'tenant_parked',
      }));
  it('unparks a parked tenant', () =>
    spec
      .given([created, parked])
      .when({ type: 'UnparkTenant' })
      .thenEmits([{ type: 'TENANT_UNPARKED', data: {} }]));
  it('refuses to unpark an active tenant', () =>
    spec
      .given([created])
      .when({ type: 'UnparkTenant' })
      .thenThrows(IllegalStateError, { code: 'tenant_not_parked' }));

  it('deletes a tenant that owns nothing', () =>
    spec
      .given([created])
      .when({ type: 'DeleteTenant', force: false, owned: { sites: 0, instances: 0 } })
      .thenEmits([deleted]));
  it('refuses to delete a tenant that still owns sites unless forced', () => {
    spec
      .given([created])
      .when({ type: 'DeleteTenant', force: false, owned: { sites: 2, instances: 1 } })
      .thenThrows(IllegalStateError, { code: 'tenant_owns_resources' });
    spec
      .given([created])
      .when({ type: 'DeleteTenant', force: true, owned: { sites: 2, instances: 1 } })
      .thenEmits([{ type: 'TENANT_DELETED', data: { force: true } }]);
  });
  it('refuses to delete twice', () =>
    spec
      .given([created, deleted])
      .when({ type: 'DeleteTenant', force: true, owned: { sites: 0, instances: 0 } })
      .thenThrows(IllegalStateError));

  it('assigns a user, changes a role, and ignores a repeat', () => {
    spec
      .given([created])
      .when({ type: 'AssignUser', userId: 'u1', role: 'TenantMember' })
      .thenEmits([assigned]);
    spec
      .given([created, assigned])
      .when({ type: 'AssignUser', userId: 'u1', role: 'TenantMember' })
      .thenEmits([]);
    spec
      .given([created, assigned])
      .when({ type: 'AssignUser', userId: 'u1', email: 'u1@acme.test', role: 'TenantAdmin' })
      .thenEmits([
        { type: 'USER_ASSIGNED', data: { userId: 'u1', email: 'u1@acme.test', role: 'TenantAdmin' } },
      ]);
  });
  it('removes an assigned user and refuses an unknown one', () => {
    spec
      .given([created, assigned])
      .when({ type: 'RemoveUser', userId: 'u1' })
      .thenEmits([{ type: 'USER_REMOVED', data: { userId: 'u1' } }]);
    spec.given([created]).when({ type: 'RemoveUser', userId: 'u1' }).thenThrows(NotFoundError);
  });

  it('creates, then updates, then deletes the hierarchy', () => {
    spec
      .given([created])
      .when({ type: 'PutHierarchy', hierarchy: tree })
      .thenEmits([{ type: 'HIERARCHY_CREATED', data: tree }]);
    const first: TenantEvent = { type: 'HIERARCHY_CREATED', data: tree };
    spec
      .given([created, first])
      .when({ type: 'PutHierarchy', hierarchy: tree })
      .thenEmits([{ type: 'HIERARCHY_UPDATED', data: tree }]);
    spec
      .given([created, first])
      .when({ type: 'DeleteHierarchy' })
      .thenEmits([{ type: 'HIERARCHY_DELETED', data: {} }]);
    spec.given([created]).when({ type: 'DeleteHierarchy' }).thenThrows(NotFoundError);
  });
  it('refuses a hierarchy with duplicate names, naming the field', () =>
    spec
      .given([created])
      .when({
        type: 'PutHierarchy',
        hierarchy: { divisions: [{ name: 'A', groups: [{ name: 'G', teams: ['x', 'x'] }] }] },
      })
      .thenThrows(ValidationError, { field: 'divisions.0.groups.0.teams' }));

  it('reserves the organisation name, moves it on rename and releases it on delete', () => {
    const state = tenantDecider.evolve(tenantDecider.initialState(), created);
    expect(tenantDecider.reservations?.(tenantDecider.initialState(), [created])).toEqual({
      claim: ['org:acme corp'],
      release: [],
    });
    expect(
      tenantDecider.reservations?.(state, [
        { type: 'TENANT_UPDATED', data: { organizationName: 'Beta  Ltd' } },
      ]),
    ).toEqual({ claim: ['org:beta ltd'], release: ['org:acme corp'] });
    expect(
      tenantDecider.reservations?.(state, [
        { type: 'TENANT_UPDATED', data: { organizationName: 'ACME corp' } },
      ]),
    ).toEqual({
      claim: [],
      release: [],
    });
    expect(tenantDecider.reservations?.(state, [deleted])).toEqual({ claim: [], release: ['org:acme corp'] });
  });

  it('normalises organisation names for uniqueness', () => {
    expect(organizationKey('  Acme   CORP ')).toBe(organizationKey('acme corp'));
  });

  it('knows only its own members, whatever their ids are called (constructor, toString, __proto__)', () => {
    for (const userId of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      spec.given([created]).when({ type: 'RemoveUser', userId }).thenThrows(NotFoundError);
      spec
        .given([created])
        .when({ type: 'AssignUser', userId, role: 'TenantMember' })
        .thenEmits([{ type: 'USER_ASSIGNED', data: { userId, role: 'TenantMember' } }]);
      const state = fold(tenantDecider, tenantDecider.initialState(), [created]);
      expect(state.status !== 'NEW' && roleOf(state, userId)).toBeUndefined();
      // a member with such an id survives evolve and a snapshot's JSON round trip as an own property
      const member = fold(tenantDecider, state, [
        { type: 'USER_ASSIGNED', data: { userId, role: 'TenantAdmin' } },
      ]);
      const restored = JSON.parse(JSON.stringify(member)) as typeof member;
      expect(restored.status !== 'NEW' && roleOf(restored, userId)).toBe('TenantAdmin');
    }
  });

  it('changes the plan, records nothing for the plan it already has, keeps the plan through parking', () => {
    const changed: TenantEvent = { type: 'PLAN_CHANGED', data: { planId: 'business' } };
    spec.given([created]).when({ type: 'ChangePlan', planId: 'business' }).thenEmits([changed]);
    spec.given([created, changed]).when({ type: 'ChangePlan', planId: 'business' }).thenEmits([]);
    spec
      .given([created, deleted])
      .when({ type: 'ChangePlan', planId: 'business' })
      .thenThrows(IllegalStateError, { code: 'tenant_deleted' });
    const state = fold(tenantDecider, tenantDecider.initialState(), [created, changed, parked]);
    expect(state).toMatchObject({ status: 'PARKED', planId: 'business' });
    expect(fold(tenantDecider, tenantDecider.initialState(), [created])).not.toHaveProperty('planId');
  });

  it('keeps when it was created and last changed, from the times the events carry', () => {
    const state = fold(tenantDecider, tenantDecider.initialState(), [
      { ...created, occurredAt: '2026-01-01T00:00:00.000Z' },
      { ...assigned, occurredAt: '2026-01-02T00:00:00.000Z' },
      { ...parked, occurredAt: '2026-01-03T00:00:00.000Z' },
    ]);
    expect(state).toMatchObject({
      status: 'PARKED',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-03T00:00:00.000Z',
    });
  });
});
