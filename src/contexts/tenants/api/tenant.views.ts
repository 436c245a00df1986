import type { z } from 'zod';
import { DEFAULT_PLAN_ID } from '#src/contexts/plans/index.js';
import type { Row } from '#src/platform/domain/projection.js';
import type { TenantState } from '../domain/tenant.decider.js';
import type { HierarchyBody } from './tenant.schemas.js';

/** How the tenant API shows things: a tenant (from its state or a read-model row), its status, its hierarchy. */
export const BASE = '/v1.0';
export const tenantPath = (tenantId: string): string => `${BASE}/tenants/${tenantId}`;

type Created = Exclude<TenantState, { status: 'NEW' }>;
/** A tenant as the read model or the decider's state knows it. */
type TenantFields = Record<string, unknown>;

function linksOf(tenantId: string, status: unknown): Record<string, { href: string }> {
  const self = tenantPath(tenantId);
  const links: Record<string, { href: string }> = {
    self: { href: self },
    status: { href: `${self}/status` },
    users: { href: `${self}/users` },
    hierarchy: { href: `${self}/hierarchy` },
    events: { href: `${self}/events` },
  };
  if (status === 'ACTIVE') links.park = { href: `${self}/park` };
  if (status === 'PARKED') links.unpark = { href: `${self}/unpark` };
  return links;
}

export function tenantView(row: TenantFields) {
  const id = String(row.tenantId);
  return {
    tenantId: id,
    organizationName: row.organizationName,
    contactEmail: row.contactEmail,
    environment: row.environment,
    status: row.status,
    parkedReason: row.parkedReason ?? null,
    planId: row.planId ?? DEFAULT_PLAN_ID,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    _links: linksOf(id, row.status),
  };
}

/** A tenant from its state at `version`: consistent, whatever the read model's lag. */
export function tenantStateView(state: Created, version: number) {
  return tenantView({
    ...state,
    parkedReason: state.status === 'PARKED' ? state.parkedReason : null,
    version,
  });
}

export function statusView(state: Created, version: number) {
  return {
    tenantId: state.tenantId,
    status: state.status,
    parkedReason: state.status === 'PARKED' ? state.parkedReason : null,
    updatedAt: state.updatedAt,
    version,
  };
}

const byName = <T extends { name: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Sorted by name at every level, as the read model's sort keys always listed it. */
export function hierarchyView(tenantId: string, hierarchy: z.infer<typeof HierarchyBody>) {
  return {
    tenantId,
    divisions: byName(hierarchy.divisions).map((division) => ({
      name: division.name,
      groups: byName(division.groups).map((group) => ({ name: group.name, teams: [...group.teams].sort() })),
    })),
    _links: { tenant: { href: tenantPath(tenantId) } },
  };
}

export function pick(row: Row, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.filter((field) => row[field] !== undefined).map((field) => [field, row[field]]),
  );
}

export const memberView = (row: Row) => pick(row, ['tenantId', 'userId', 'role', 'email', 'assignedAt']);
export const eventView = (row: Row) =>
  pick(row, ['eventId', 'type', 'version', 'occurredAt', 'actor', 'correlationId', 'data']);

/** A user's tenant, or undefined for a tenant that is gone (deleted, or not projected yet). */
export function userTenantView({ member, tenant }: { member: Row; tenant: Row | undefined }) {
  if (!tenant || tenant.status === 'DELETED') return undefined;
  return {
    tenantId: member.tenantId,
    role: member.role,
    organizationName: tenant.organizationName,
    status: tenant.status,
    _links: { tenant: { href: tenantPath(String(member.tenantId)) } },
  };
}
