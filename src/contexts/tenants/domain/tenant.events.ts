import { z } from 'zod';
import { tenantCreatedV1ToV2 } from '#migrations/tenants/events/0001-tenant-created-environment.js';
import type { EventDefinition } from '#src/platform/event-store/catalogue.js';

export const Environment = z.enum(['dev', 'sit', 'prod']);
export const TenantRole = z.enum(['TenantAdmin', 'TenantMember']);

const Id = z.string().min(1).max(64);
const OrganizationName = z.string().trim().min(2).max(120);
const Email = z.email().max(254);

export const TenantCreatedV1 = z.strictObject({
  tenantId: Id,
  organizationName: OrganizationName,
  contactEmail: Email,
});
export const TenantCreated = TenantCreatedV1.extend({ environment: Environment });
export const TenantUpdated = z.strictObject({
  organizationName: OrganizationName.optional(),
  contactEmail: Email.optional(),
});
export const TenantParked = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const TenantUnparked = z.strictObject({});
export const TenantDeleted = z.strictObject({ force: z.boolean() });
export const UserAssigned = z.strictObject({ userId: Id, email: Email.optional(), role: TenantRole });
export const UserRemoved = z.strictObject({ userId: Id });
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

export type TenantEvent =
  | { type: 'TENANT_CREATED'; data: z.infer<typeof TenantCreated> }
  | { type: 'TENANT_UPDATED'; data: z.infer<typeof TenantUpdated> }
  | { type: 'TENANT_PARKED'; data: z.infer<typeof TenantParked> }
  | { type: 'TENANT_UNPARKED'; data: z.infer<typeof TenantUnparked> }
  | { type: 'TENANT_DELETED'; data: z.infer<typeof TenantDeleted> }
  | { type: 'USER_ASSIGNED'; data: z.infer<typeof UserAssigned> }
  | { type: 'USER_REMOVED'; data: z.infer<typeof UserRemoved> }
  | { type: 'HIERARCHY_CREATED'; data: z.infer<typeof Hierarchy> }
  | { type: 'HIERARCHY_UPDATED'; data: z.infer<typeof Hierarchy> }
  | { type: 'HIERARCHY_DELETED'; data: z.infer<typeof TenantUnparked> };

const tenant = (type: TenantEvent['type'], description: string, schema: z.ZodType): EventDefinition => ({
  type,
  context: 'tenant-management',
  schemas: [schema],
  upcasters: [],
  description,
});

export const tenantEventDefinitions: EventDefinition[] = [
  {
    type: 'TENANT_CREATED',
    context: 'tenant-management',
    schemas: [TenantCreatedV1, TenantCreated],
    upcasters: [tenantCreatedV1ToV2],
    description: 'An operator created a tenant (v2 added environment).',
  },
  tenant('TENANT_UPDATED', 'Organisation name or contact email changed.', TenantUpdated),
  tenant('TENANT_PARKED', 'The tenant was parked (its services stop) with a reason.', TenantParked),
  tenant('TENANT_UNPARKED', 'A parked tenant was brought back.', TenantUnparked),
  tenant(
    'TENANT_DELETED',
    'The tenant was soft-deleted; its organisation name is free again.',
    TenantDeleted,
  ),
  tenant('USER_ASSIGNED', 'A user was given a role in the tenant.', UserAssigned),
  tenant('USER_REMOVED', 'A user lost access to the tenant.', UserRemoved),
  tenant('HIERARCHY_CREATED', 'The division/group/team hierarchy was first set.', Hierarchy),
  tenant('HIERARCHY_UPDATED', 'The hierarchy was replaced.', Hierarchy),
  tenant('HIERARCHY_DELETED', 'The hierarchy was removed.', TenantUnparked),
];
