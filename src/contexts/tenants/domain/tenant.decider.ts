import type { z } from 'zod';
import type { Decider, Timed } from '#src/platform/domain/decider.js';
import { IllegalStateError, NotFoundError, ValidationError } from '#src/platform/domain/errors.js';
import type { Environment, Hierarchy, TenantEvent, TenantRole } from './tenant.events.js';

export type HierarchyTree = z.infer<typeof Hierarchy>;
export type Role = z.infer<typeof TenantRole>;

export type TenantCommand =
  | {
      type: 'CreateTenant';
      tenantId: string;
      organizationName: string;
      contactEmail: string;
      environment: z.infer<typeof Environment>;
    }
  | { type: 'UpdateTenant'; organizationName?: string | undefined; contactEmail?: string | undefined }
  | { type: 'ParkTenant'; reason: string }
  | { type: 'UnparkTenant' }
  | { type: 'DeleteTenant'; force: boolean; owned: { sites: number; instances: number } }
  | { type: 'AssignUser'; userId: string; email?: string | undefined; role: Role }
  | { type: 'RemoveUser'; userId: string }
  | { type: 'PutHierarchy'; hierarchy: HierarchyTree }
  | { type: 'DeleteHierarchy' }
  /** `planId` is one of the plans catalogue's (the route checks it): this context does not read the catalogue. */
  | { type: 'ChangePlan'; planId: string };

export interface TenantFacts {
  tenantId: string;
  organizationName: string;
  contactEmail: string;
  environment: z.infer<typeof Environment>;
  /** By user id. Read it with `roleOf`: a plain lookup finds `constructor` or `toString` in every object. */
  users: Record<string, Role>;
  hierarchy: HierarchyTree | null;
  /** The plan the tenant chose; undefined: the plans catalogue's default plan. */
  planId?: string | undefined;
  /** When the tenant was created and last changed (any event): a single tenant is answered from this state. */
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
}

export type TenantState =
  | { status: 'NEW' }
  | ({ status: 'ACTIVE' } & TenantFacts)
  | ({ status: 'PARKED'; parkedReason: string } & TenantFacts)
  | ({ status: 'DELETED' } & TenantFacts);

/** The user's role in the tenant, if they are a member: own properties only, whatever the user id. */
export const roleOf = (facts: Pick<TenantFacts, 'users'>, userId: string): Role | undefined =>
  Object.hasOwn(facts.users, userId) ? facts.users[userId] : undefined;

/** The prefix of organisation-name reservations (`org:acme corp`). */
export const ORGANIZATION_KEY_PREFIX = 'org:';

/**
 * What a reader sees of an organisation name: NFKC, without format characters (Unicode category Cf: zero-width
 * spaces and joiners, bidi marks, soft hyphens), spacing collapsed and trimmed.
 */
export const visibleName = (name: string): string =>
  name
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Organisation names are unique as they read, ignoring case, spacing and invisible characters: "Acme  Corp",
 * "acme corp" and "Acme\u200B Corp" collide.
 */
export const organizationKey = (name: string): string =>
  `${ORGANIZATION_KEY_PREFIX}${visibleName(name).toLowerCase()}`;

export const tenantDecider: Decider<TenantCommand, TenantEvent, TenantState> = {
  name: 'tenant',
  // tenant-2: the state keeps createdAt/updatedAt (tenant-1 snapshots lack them and are ignored).
  version: 'tenant-2',
  snapshotEvery: 50,
  initialState: () => ({ status: 'NEW' }),
  decide,
  evolve,
  reservations(state, events) {
    const before = reservedName(state);
    const after = reservedName(events.reduce(evolve, state));
    if (before === after) return { claim: [], release: [] };
    return { claim: after ? [after] : [], release: before ? [before] : [] };
  },
};

/** The organisation-name key a tenant holds: none before creation or after deletion. */
function reservedName(state: TenantState): string | undefined {
  return state.status === 'NEW' || state.status === 'DELETED'
    ? undefined
    : organizationKey(state.organizationName);
}

type Live = Exclude<TenantState, { status: 'NEW' } | { status: 'DELETED' }>;
type On<T extends TenantCommand['type']> = (
  command: Extract<TenantCommand, { type: T }>,
  state: Live,
) => TenantEvent[];

/** What each command decides on a live (created, not deleted) tenant. */
const onLive: { [T in Exclude<TenantCommand['type'], 'CreateTenant'>]: On<T> } = {
  UpdateTenant: (command, state) => update(command, state),
  ParkTenant: (command, state) => {
    if (state.status === 'PARKED')
      throw new IllegalStateError('tenant_parked', 'the tenant is already parked');
    return [{ type: 'TENANT_PARKED', data: { reason: command.reason } }];
  },
  UnparkTenant: (_command, state) => {
    if (state.status !== 'PARKED')
      throw new IllegalStateError('tenant_not_parked', 'the tenant is not parked');
    return [{ type: 'TENANT_UNPARKED', data: {} }];
  },
  DeleteTenant: (command) => remove(command),
  AssignUser: (command, state) => {
    if (roleOf(state, command.userId) === command.role) return [];
    return [
      {
        type: 'USER_ASSIGNED',
        data: withEmail({ userId: command.userId, role: command.role }, command.email),
      },
    ];
  },
  RemoveUser: (command, state) => {
    if (!roleOf(state, command.userId))
      throw new NotFoundError(`user ${command.userId} is not assigned to the tenant`);
    return [{ type: 'USER_REMOVED', data: { userId: command.userId } }];
  },
  PutHierarchy: (command, state) => {
    assertUniqueNames(command.hierarchy);
    return [{ type: state.hierarchy ? 'HIERARCHY_UPDATED' : 'HIERARCHY_CREATED', data: command.hierarchy }];
  },
  DeleteHierarchy: (_command, state) => {
    if (!state.hierarchy) throw new NotFoundError('the tenant has no hierarchy');
    return [{ type: 'HIERARCHY_DELETED', data: {} }];
  },
  ChangePlan: (command, state) =>
    state.planId === command.planId ? [] : [{ type: 'PLAN_CHANGED', data: { planId: command.planId } }],
};

function decide(command: TenantCommand, state: TenantState): TenantEvent[] {
  if (command.type === 'CreateTenant') {
    if (state.status !== 'NEW')
      throw new IllegalStateError('tenant_exists', `tenant ${command.tenantId} already exists`);
    const { type: _type, ...data } = command;
    return [{ type: 'TENANT_CREATED', data }];
  }
  if (state.status === 'NEW') throw new NotFoundError('tenant not found');
  if (state.status === 'DELETED') throw new IllegalStateError('tenant_deleted', 'the tenant is deleted');
  return (onLive[command.type] as On<typeof command.type>)(command as never, state);
}

function update(
  command: Extract<TenantCommand, { type: 'UpdateTenant' }>,
  state: TenantFacts,
): TenantEvent[] {
  const data: { organizationName?: string; contactEmail?: string } = {};
  if (command.organizationName !== undefined && command.organizationName !== state.organizationName) {
    data.organizationName = command.organizationName;
  }
  if (command.contactEmail !== undefined && command.contactEmail !== state.contactEmail) {
    data.contactEmail = command.contactEmail;
  }
  return Object.keys(data).length === 0 ? [] : [{ type: 'TENANT_UPDATED', data }];
}

function remove(command: Extract<TenantCommand, { type: 'DeleteTenant' }>): TenantEvent[] {
  const { sites, instances } = command.owned;
  if (!command.force && sites + instances > 0) {
    throw new IllegalStateError(
      'tenant_owns_resources',
      `the tenant still owns ${sites} site(s) and ${instances} instance(s); delete them first or pass force=true`,
    );
  }
  return [{ type: 'TENANT_DELETED', data: { force: command.force } }];
}

function withEmail<T extends object>(data: T, email: string | undefined): T & { email?: string } {
  return email === undefined ? data : { ...data, email };
}

function assertUniqueNames(hierarchy: HierarchyTree): void {
  const duplicate = (names: string[]) => names.find((name, i) => names.indexOf(name) !== i);
  const division = duplicate(hierarchy.divisions.map((d) => d.name));
  if (division) throw new ValidationError('divisions', `division "${division}" appears twice`);
  hierarchy.divisions.forEach((d, i) => {
    const group = duplicate(d.groups.map((g) => g.name));
    if (group) throw new ValidationError(`divisions.${i}.groups`, `group "${group}" appears twice`);
    d.groups.forEach((g, j) => {
      const team = duplicate(g.teams);
      if (team) throw new ValidationError(`divisions.${i}.groups.${j}.teams`, `team "${team}" appears twice`);
    });
  });
}

/** Folds one event; every event is a change of the tenant, so it moves `updatedAt` (as the read model's row). */
export function evolve(state: TenantState, event: Timed<TenantEvent>): TenantState {
  const next = apply(state, event);
  const at = event.occurredAt;
  if (next.status === 'NEW' || at === undefined) return next;
  return event.type === 'TENANT_CREATED'
    ? { ...next, createdAt: at, updatedAt: at }
    : { ...next, updatedAt: at };
}

function apply(state: TenantState, event: TenantEvent): TenantState {
  if (event.type === 'TENANT_CREATED') {
    return { status: 'ACTIVE', ...event.data, users: {}, hierarchy: null };
  }
  if (state.status === 'NEW') return state;
  const base: TenantFacts = {
    tenantId: state.tenantId,
    organizationName: state.organizationName,
    contactEmail: state.contactEmail,
    environment: state.environment,
    users: state.users,
    hierarchy: state.hierarchy,
    planId: state.planId,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
  switch (event.type) {
    case 'TENANT_UPDATED':
      return { ...state, ...definedOnly(event.data) };
    case 'TENANT_PARKED':
      return { status: 'PARKED', ...base, parkedReason: event.data.reason };
    case 'TENANT_UNPARKED':
      return { status: 'ACTIVE', ...base };
    case 'TENANT_DELETED':
      return { status: 'DELETED', ...base };
    case 'USER_ASSIGNED':
      return { ...state, users: { ...state.users, [event.data.userId]: event.data.role } };
    case 'USER_REMOVED': {
      const { [event.data.userId]: _removed, ...users } = state.users;
      return { ...state, users };
    }
    case 'HIERARCHY_CREATED':
    case 'HIERARCHY_UPDATED':
      return { ...state, hierarchy: event.data };
    case 'HIERARCHY_DELETED':
      return { ...state, hierarchy: null };
    case 'PLAN_CHANGED':
      return { ...state, planId: event.data.planId };
    case 'PERSONAL_DATA_ERASED':
      // The erasure process marked the stream: the person's values already read as placeholders (their key is
      // gone), so the state folded from the events keeps those; nothing else changes.
      return state;
    default:
      return event satisfies never;
  }
}

function definedOnly<T extends object>(data: T): Partial<T> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined)) as Partial<T>;
}
