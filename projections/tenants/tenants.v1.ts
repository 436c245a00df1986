import { organizationKey } from '#src/contexts/tenants/domain/tenant.decider.js';
import { type TenantEvent, tenantEvents } from '#src/contexts/tenants/domain/tenant.events.js';
import { tenantStream } from '#src/contexts/tenants/domain/tenant.stream.js';
import type { Envelope } from '#src/platform/domain/events.js';
import type { Row, RowChange, RowKey, Rows } from '#src/platform/domain/projection.js';
import { projectionOf, rowId } from '#src/platform/domain/projection.js';
import { erasedValues, erasureReads, maskedRows, placeholderFor } from './erasure.js';

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
const metadataKey = (tenantId: string): RowKey => ({ PK: tenantPK(tenantId), SK: METADATA });
export const orgIndexKey = (name: string): string => `ORG#${organizationKey(name).slice('org:'.length)}`;

type TenantEnvelope = Envelope<TenantEvent>;
type Of<T extends TenantEvent['type']> = Extract<TenantEnvelope, { type: T }>;
type Hierarchy = Of<'HIERARCHY_CREATED'>['data'];

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

function createdRow({ data, occurredAt }: Of<'TENANT_CREATED'>): Row {
  return {
    ...metadataKey(data.tenantId),
    tenantId: data.tenantId,
    organizationName: data.organizationName,
    contactEmail: data.contactEmail,
    environment: data.environment,
    status: 'ACTIVE',
    hierarchy: null,
    createdAt: occurredAt,
  };
}

/** What an event after the creation changes on the tenant row (besides updatedAt and version). */
function metadataChange(event: Exclude<TenantEnvelope, Of<'TENANT_CREATED'>>): Partial<Row> {
  switch (event.type) {
    case 'TENANT_UPDATED':
      return Object.fromEntries(Object.entries(event.data).filter(([, value]) => value !== undefined));
    case 'TENANT_PARKED':
      return { status: 'PARKED', parkedReason: event.data.reason, parkedAt: event.occurredAt };
    case 'TENANT_UNPARKED':
      return { status: 'ACTIVE', parkedReason: null, parkedAt: null };
    case 'TENANT_DELETED':
      return { status: 'DELETED', deletedAt: event.occurredAt };
    case 'HIERARCHY_CREATED':
    case 'HIERARCHY_UPDATED':
      return { hierarchy: event.data };
    case 'HIERARCHY_DELETED':
      return { hierarchy: null };
    case 'PLAN_CHANGED':
      return { planId: event.data.planId };
    case 'USER_ASSIGNED':
    case 'USER_REMOVED':
    case 'PERSONAL_DATA_ERASED':
      return {};
    default:
      return event satisfies never;
  }
}

function metadataRow(previous: Row | undefined, event: TenantEnvelope): Row | undefined {
  if (event.type === 'TENANT_CREATED') return createdRow(event);
  return previous && { ...previous, ...metadataChange(event) };
}

const SUMMARY_FIELDS = ['organizationName', 'contactEmail', 'environment', 'status'] as const;

/** The tenant row with the index keys and bookkeeping every write of it carries. */
function withIndexes(meta: Row, event: TenantEnvelope): Row {
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

function memberRow(pk: string, tenantId: string, { data, occurredAt }: Of<'USER_ASSIGNED'>): Row {
  const row: Row = {
    PK: pk,
    SK: `USER#${data.userId}`,
    tenantId,
    userId: data.userId,
    role: data.role,
    assignedAt: occurredAt,
  };
  if (data.email) row.email = data.email;
  return { ...row, GSI1PK: `USER#${data.userId}`, GSI1SK: `TENANT#${tenantId}` };
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

/** The rows under the tenant that an event adds or removes besides the tenant row, its markers and the audit row. */
function ownedRowChanges(
  pk: string,
  before: Row | undefined,
  after: Row,
  event: TenantEnvelope,
): RowChange[] {
  switch (event.type) {
    case 'USER_ASSIGNED':
      return [{ put: memberRow(pk, String(after.tenantId), event) }];
    case 'USER_REMOVED':
      return [{ delete: { PK: pk, SK: `USER#${event.data.userId}` } }];
    case 'HIERARCHY_CREATED':
    case 'HIERARCHY_UPDATED':
    case 'HIERARCHY_DELETED':
      return hierarchyChanges(pk, before, after);
    case 'TENANT_CREATED':
    case 'TENANT_UPDATED':
    case 'TENANT_PARKED':
    case 'TENANT_UNPARKED':
    case 'TENANT_DELETED':
    case 'PLAN_CHANGED':
    case 'PERSONAL_DATA_ERASED':
      return [];
    default:
      return event satisfies never;
  }
}

function auditRow(pk: string, event: TenantEnvelope): Row {
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

/**
 * PERSONAL_DATA_ERASED: the erased person's values become the placeholders the store now reads in their events —
 * in the audit rows of those events, the member rows holding their e-mail, and the tenant row and its markers
 * when they are its contact (projections/tenants/erasure.ts). The marker's own audit row says that an erasure
 * happened, when and by whom, without the data.
 */
function erasureChanges(rows: Rows, pk: string, before: Row | undefined, event: Of<'PERSONAL_DATA_ERASED'>) {
  const values = erasedValues(rows, pk, event.data);
  const masked = maskedRows(rows, pk, event.data, values);
  if (!before) return masked;
  const placeholder = placeholderFor(values, before.contactEmail);
  const row = withIndexes(
    placeholder === undefined ? before : { ...before, contactEmail: placeholder },
    event,
  );
  return [{ put: row }, ...markers(before, row).map((put) => ({ put })), ...masked];
}

export const tenantsV1 = projectionOf(tenantEvents, {
  name: 'tenants',
  version: 1,
  table: 'TenantsV1Table',
  categories: [tenantStream.category],
  reads: (event: TenantEnvelope, rows?: Rows) => {
    if (event.type === 'TENANT_CREATED') return [];
    const tenantId = tenantStream.parse(event.streamId);
    const own = [metadataKey(tenantId)];
    if (event.type !== 'PERSONAL_DATA_ERASED') return own;
    return [...own, ...erasureReads(tenantPK(tenantId), event.data, rows)];
  },
  apply(rows: Rows, event: TenantEnvelope): RowChange[] {
    const tenantId = tenantStream.parse(event.streamId);
    const pk = tenantPK(tenantId);
    const audit: RowChange = { put: auditRow(pk, event) };
    const before = rows.get(rowId(metadataKey(tenantId)));
    if (event.type === 'PERSONAL_DATA_ERASED') return [audit, ...erasureChanges(rows, pk, before, event)];
    const after = metadataRow(before, event);
    if (!after) return [audit];
    const row = withIndexes(after, event);
    return [
      audit,
      { put: row },
      ...markers(before, row).map((put) => ({ put })),
      ...ownedRowChanges(pk, before, after, event),
    ];
  },
});
