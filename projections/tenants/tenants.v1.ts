import { organizationKey } from '#src/contexts/tenants/domain/tenant.decider.js';
import type { Projection, Row, RowChange, RowKey, Rows } from '#src/platform/domain/projection.js';
import { rowId } from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

/**
 * bbws-tenants, version 1: the key patterns of design section 4.1.
 *
 * | row | PK | SK | GSI1 | GSI2 |
 * | tenant | TENANT#{id} | METADATA | ORG#{name} / TENANT#{id} | STATUS#{status} / {updatedAt}#{id} |
 * | env marker | TENANT#{id} | MARKER#ENV | — | ENV#{environment} / {createdAt}#{id} |
 * | list marker | TENANT#{id} | MARKER#ALL | — | TENANTS / {createdAt}#{id} |
 * | member | TENANT#{id} | USER#{userId} | USER#{userId} / TENANT#{id} | — |
 * | hierarchy | TENANT#{id} | HIERARCHY#{div}#{grp}#{team} | — | — |
 * | audit | TENANT#{id} | EVENT#{occurredAt}#{eventId} | — | — |
 *
 * One item can hold one key per index, and METADATA already uses GSI2 for STATUS#: the ENV# pattern (and the
 * unfiltered list) live on sparse marker items that carry the same tenant summary.
 */
export const tenantPK = (tenantId: string): string => `TENANT#${tenantId}`;
export const METADATA = 'METADATA';
const tenantIdOf = (streamId: string): string => streamId.slice('tenant-'.length);
const metadataKey = (tenantId: string): RowKey => ({ PK: tenantPK(tenantId), SK: METADATA });
export const orgIndexKey = (name: string): string => `ORG#${organizationKey(name).slice('org:'.length)}`;

type Hierarchy = { divisions: { name: string; groups: { name: string; teams: string[] }[] }[] };

export function hierarchyLeaves(tree: Hierarchy | undefined | null): string[] {
  if (!tree) return [];
  return tree.divisions.flatMap((d) =>
    d.groups.length === 0
      ? [`HIERARCHY#${d.name}##`]
      : d.groups.flatMap((g) =>
          g.teams.length === 0
            ? [`HIERARCHY#${d.name}#${g.name}#`]
            : g.teams.map((t) => `HIERARCHY#${d.name}#${g.name}#${t}`),
        ),
  );
}

function metadataRow(previous: Row | undefined, event: EventEnvelope): Row | undefined {
  const data = event.data as Record<string, unknown>;
  const at = event.occurredAt;
  if (event.type === 'TENANT_CREATED') {
    return {
      ...metadataKey(String(data.tenantId)),
      tenantId: data.tenantId,
      organizationName: data.organizationName,
      contactEmail: data.contactEmail,
      environment: data.environment,
      status: 'ACTIVE',
      hierarchy: null,
      createdAt: at,
    };
  }
  if (!previous) return undefined;
  const next: Row = { ...previous };
  switch (event.type) {
    case 'TENANT_UPDATED':
      for (const field of ['organizationName', 'contactEmail'] as const)
        if (data[field] !== undefined) next[field] = data[field];
      break;
    case 'TENANT_PARKED':
      Object.assign(next, { status: 'PARKED', parkedReason: data.reason, parkedAt: at });
      break;
    case 'TENANT_UNPARKED':
      Object.assign(next, { status: 'ACTIVE', parkedReason: null, parkedAt: null });
      break;
    case 'TENANT_DELETED':
      Object.assign(next, { status: 'DELETED', deletedAt: at });
      break;
    case 'HIERARCHY_CREATED':
    case 'HIERARCHY_UPDATED':
      next.hierarchy = data;
      break;
    case 'HIERARCHY_DELETED':
      next.hierarchy = null;
      break;
  }
  return next;
}

const SUMMARY_FIELDS = ['organizationName', 'contactEmail', 'environment', 'status'] as const;

/** The tenant row with the index keys and bookkeeping every write of it carries. */
function withIndexes(meta: Row, event: EventEnvelope): Row {
  const { GSI1PK: _a, GSI1SK: _b, ...plain } = meta;
  const row: Row = { ...plain, updatedAt: event.occurredAt, version: event.version };
  const id = String(row.tenantId);
  row.GSI2PK = `STATUS#${row.status}`;
  row.GSI2SK = `${row.updatedAt}#${id}`;
  // A deleted tenant gives up its name (the reservation is released too): it leaves the ORG# index.
  if (row.status !== 'DELETED')
    Object.assign(row, { GSI1PK: orgIndexKey(String(row.organizationName)), GSI1SK: `TENANT#${id}` });
  return row;
}

/**
 * The two marker rows carry the tenant summary for the ENV# and unfiltered lists. They are rewritten only when
 * the summary changes, so most events write just the audit row and the tenant row.
 */
function markers(before: Row | undefined, after: Row): Row[] {
  if (before && SUMMARY_FIELDS.every((field) => before[field] === after[field])) return [];
  const id = String(after.tenantId);
  const summary = {
    tenantId: id,
    organizationName: after.organizationName,
    contactEmail: after.contactEmail,
    environment: after.environment,
    status: after.status,
    createdAt: after.createdAt,
  };
  const created = `${after.createdAt}#${id}`;
  return [
    { PK: after.PK, SK: 'MARKER#ENV', ...summary, GSI2PK: `ENV#${after.environment}`, GSI2SK: created },
    { PK: after.PK, SK: 'MARKER#ALL', ...summary, GSI2PK: 'TENANTS', GSI2SK: created },
  ];
}

function memberChanges(pk: string, tenantId: string, event: EventEnvelope): RowChange[] {
  const data = event.data as { userId: string; role?: string; email?: string };
  const key = { PK: pk, SK: `USER#${data.userId}` };
  if (event.type === 'USER_REMOVED') return [{ delete: key }];
  const row: Row = { ...key, tenantId, userId: data.userId, role: data.role, assignedAt: event.occurredAt };
  if (data.email) row.email = data.email;
  return [{ put: { ...row, GSI1PK: `USER#${data.userId}`, GSI1SK: `TENANT#${tenantId}` } }];
}

function hierarchyChanges(pk: string, before: Row | undefined, after: Row): RowChange[] {
  const old = new Set(hierarchyLeaves(before?.hierarchy as Hierarchy | null));
  const now = new Set(hierarchyLeaves(after.hierarchy as Hierarchy | null));
  const leafRow = (sk: string): Row => {
    const [division, group, team] = sk.slice('HIERARCHY#'.length).split('#');
    return { PK: pk, SK: sk, division, group: group || null, team: team || null };
  };
  return [
    ...[...old].filter((sk) => !now.has(sk)).map((SK) => ({ delete: { PK: pk, SK } })),
    ...[...now].filter((sk) => !old.has(sk)).map((sk) => ({ put: leafRow(sk) })),
  ];
}

function auditRow(pk: string, event: EventEnvelope): Row {
  return {
    PK: pk,
    SK: `EVENT#${event.occurredAt}#${event.eventId}`,
    eventId: event.eventId,
    type: event.type,
    version: event.version,
    occurredAt: event.occurredAt,
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    data: event.data,
  };
}

export const tenantsV1: Projection = {
  name: 'tenants',
  version: 1,
  table: 'TenantsV1Table',
  categories: ['tenant'],
  reads: (event) => (event.type === 'TENANT_CREATED' ? [] : [metadataKey(tenantIdOf(event.streamId))]),
  apply(rows: Rows, event: EventEnvelope): RowChange[] {
    const tenantId = tenantIdOf(event.streamId);
    const pk = tenantPK(tenantId);
    const audit: RowChange = { put: auditRow(pk, event) };
    const before = rows.get(rowId(metadataKey(tenantId)));
    const after = metadataRow(before, event);
    if (!after) return [audit];
    const row = withIndexes(after, event);
    const changes: RowChange[] = [audit, { put: row }, ...markers(before, row).map((put) => ({ put }))];
    if (event.type === 'USER_ASSIGNED' || event.type === 'USER_REMOVED')
      changes.push(...memberChanges(pk, tenantId, event));
    if (event.type.startsWith('HIERARCHY_')) changes.push(...hierarchyChanges(pk, before, after));
    return changes;
  },
};
