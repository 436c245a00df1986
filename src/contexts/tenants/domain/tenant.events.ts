import { z } from 'zod';
import { tenantCreatedV1ToV2 } from '#migrations/tenants/events/0001-tenant-created-environment.js';
import { defineEvents, type EventsOf } from '#src/platform/domain/events.js';
import { personal } from '#src/platform/domain/personal-data.js';

export const Environment = z.enum(['dev', 'sit', 'prod']);
export const TenantRole = z.enum(['TenantAdmin', 'TenantMember']);

const Id = z.string().min(1).max(64);
const OrganizationName = z.string().trim().min(2).max(120);
const Email = z.email().max(254);

export const TenantCreatedV1 = z.strictObject({
  tenantId: Id,
  organizationName: OrganizationName,
  contactEmail: personal(Email, { subject: 'tenantContact', identifiedBy: 'self' }),
});
export const TenantCreated = TenantCreatedV1.extend({ environment: Environment });
export const TenantUpdated = z.strictObject({
  organizationName: OrganizationName.optional(),
  contactEmail: personal(Email, { subject: 'tenantContact', identifiedBy: 'self' }).optional(),
});
export const TenantParked = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const TenantUnparked = z.strictObject({});
export const TenantDeleted = z.strictObject({ force: z.boolean() });
export const UserAssigned = z.strictObject({
  userId: Id,
  email: personal(Email, { subject: 'user', identifiedBy: 'self' }).optional(),
  role: TenantRole,
});
export const UserRemoved = z.strictObject({ userId: Id });
/** A plan id of the plans catalogue (src/contexts/plans), checked against it where the command is taken. */
export const PlanChanged = z.strictObject({ planId: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/) });
export const Hierarchy = z.strictObject({
  divisions: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(80),
        groups: z
          .array(
            z.strictObject({
              name: z.string().trim().min(1).max(80),
              teams: z.array(z.string().trim().min(1).max(80)).max(50),
            }),
          )
          .max(50),
      }),
    )
    .max(50),
});

/** Every tenant-management event, declared once: the catalogue's definitions and `TenantEvent` come from here. */
export const tenantEvents = defineEvents('tenant-management', {
  TENANT_CREATED: {
    schemas: [TenantCreatedV1, TenantCreated],
    upcasters: [tenantCreatedV1ToV2],
    description: 'An operator created a tenant (v2 added environment).',
  },
  TENANT_UPDATED: { schemas: [TenantUpdated], description: 'Organisation name or contact email changed.' },
  TENANT_PARKED: {
    schemas: [TenantParked],
    description: 'The tenant was parked (its services stop) with a reason.',
  },
  TENANT_UNPARKED: { schemas: [TenantUnparked], description: 'A parked tenant was brought back.' },
  TENANT_DELETED: {
    schemas: [TenantDeleted],
    description: 'The tenant was soft-deleted; its organisation name is free again.',
  },
  USER_ASSIGNED: { schemas: [UserAssigned], description: 'A user was given a role in the tenant.' },
  USER_REMOVED: { schemas: [UserRemoved], description: 'A user lost access to the tenant.' },
  HIERARCHY_CREATED: {
    schemas: [Hierarchy],
    description: 'The division/group/team hierarchy was first set.',
  },
  HIERARCHY_UPDATED: { schemas: [Hierarchy], description: 'The hierarchy was replaced.' },
  HIERARCHY_DELETED: { schemas: [TenantUnparked], description: 'The hierarchy was removed.' },
  PLAN_CHANGED: {
    schemas: [PlanChanged],
    description: "The tenant's plan changed (its instances then take the plan's tier).",
  },
});

/** The `{type, data}` union the tenant decider and projections work with, derived from the schemas above. */
export type TenantEvent = EventsOf<typeof tenantEvents>;

export const tenantEventDefinitions = tenantEvents.definitions;
