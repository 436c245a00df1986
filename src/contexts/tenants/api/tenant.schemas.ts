import { z } from 'zod';
import { PLAN_IDS } from '#src/contexts/plans/index.js';
import { Cursor, Limit } from '#src/platform/http/paging.js';
import type { UniqueKeyProblem } from '#src/platform/http/problem.js';
import { ORGANIZATION_KEY_PREFIX, visibleName } from '../domain/tenant.decider.js';
import { Environment, Hierarchy, TenantRole, UserAssigned } from '../domain/tenant.events.js';
import { tenantStream } from '../domain/tenant.stream.js';

// Request and response shapes of the tenant API: validation at the edge and the OpenAPI document, from one place.

/** A tenant id is what the tenant stream's id allows: a route never accepts an id the event store refuses. */
export const TenantId = tenantStream.idSchema;
/**
 * A user id is what the membership events allow (their schema is the one source of its length: a route never
 * accepts an id the event store refuses), in the characters a Cognito sub or a local id uses.
 */
const EventUserId = UserAssigned.shape.userId;
export const UserId = EventUserId.regex(
  /^[A-Za-z0-9_.@:+-]*$/,
  `must be 1-${EventUserId.maxLength} letters, digits or ._@:+-`,
);
/** 2-120 characters, at least 2 of them visible (a name of zero-width characters reads as nothing). */
const OrganizationName = z
  .string()
  .trim()
  .min(2)
  .max(120)
  .refine((name) => visibleName(name).length >= 2, { message: 'must have at least 2 visible characters' });
const Email = z.email().max(254);
export const TenantStatus = z.enum(['ACTIVE', 'PARKED', 'DELETED']);

export const CreateTenantBody = z.strictObject({
  organizationName: OrganizationName,
  contactEmail: Email,
  environment: Environment,
});
export const UpdateTenantBody = z
  .strictObject({ organizationName: OrganizationName.optional(), contactEmail: Email.optional() })
  .refine((b) => b.organizationName !== undefined || b.contactEmail !== undefined, {
    message: 'give organizationName or contactEmail',
    path: ['organizationName'],
  });
export const ParkBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const AssignUserBody = z
  .strictObject({ userId: UserId.optional(), email: Email.optional(), role: TenantRole })
  .refine((b) => (b.userId === undefined) !== (b.email === undefined), {
    message: 'give exactly one of userId or email',
    path: ['userId'],
  });
export const HierarchyBody = Hierarchy.superRefine((tree, ctx) => {
  const leaves = tree.divisions.reduce(
    (n, d) =>
      n +
      Math.max(
        1,
        d.groups.reduce((m, g) => m + Math.max(1, g.teams.length), 0),
      ),
    0,
  );
  if (leaves > 45)
    ctx.addIssue({ code: 'custom', message: `at most 45 teams in all (got ${leaves})`, path: ['divisions'] });
  const names = tree.divisions.flatMap((d) => [d.name, ...d.groups.flatMap((g) => [g.name, ...g.teams])]);
  if (names.some((n) => n.includes('#')))
    ctx.addIssue({ code: 'custom', message: 'names may not contain #', path: ['divisions'] });
});

export const ListTenantsQuery = z.strictObject({
  status: TenantStatus.optional(),
  environment: Environment.optional(),
  organizationName: OrganizationName.optional(),
  limit: Limit,
  cursor: Cursor,
});
/** A plan of the plans catalogue (GET /v1.0/plans). */
export const PlanBody = z.strictObject({ planId: z.enum(PLAN_IDS) });
export const DeleteTenantQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

const Links = z.record(z.string(), z.object({ href: z.string() }));
export const TenantView = z.object({
  tenantId: z.string(),
  organizationName: z.string(),
  contactEmail: z.string(),
  environment: Environment,
  status: TenantStatus,
  parkedReason: z.string().nullable().optional(),
  /** the tenant's plan: the one it chose, or the catalogue's default */
  planId: z.string(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  /** the tenant stream's version (absent in list items) */
  version: z.number().optional(),
  _links: Links,
});
export const MembershipView = z.object({
  tenantId: z.string(),
  userId: z.string(),
  role: TenantRole,
  email: z.string().optional(),
  assignedAt: z.string().optional(),
});
export const EventView = z.object({
  eventId: z.string(),
  type: z.string(),
  version: z.number(),
  occurredAt: z.string(),
  actor: z.string(),
  correlationId: z.string(),
  data: z.unknown(),
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional(), _links: Links });

/** How the tenant context's uniqueness keys read in a 409: the field to blame, and nothing about who holds it. */
export const tenantUniqueKeys: readonly UniqueKeyProblem[] = [
  {
    prefix: ORGANIZATION_KEY_PREFIX,
    field: 'organizationName',
    detail: 'the organisation name is already taken',
  },
];
