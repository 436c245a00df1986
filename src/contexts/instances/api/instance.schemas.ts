import { z } from 'zod';
import { Cursor, Limit } from '#src/platform/http/paging.js';
import type { UniqueKeyProblem } from '#src/platform/http/problem.js';
import { InstanceEnvironment } from '../domain/instance.events.js';
import { INSTANCE_STATUSES } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import { INSTANCE_KEY_PREFIX } from '../domain/placement.js';

// Request and response shapes of the instance API: validation at the edge and the OpenAPI document, from one place.

export const InstanceId = instanceStream.idSchema;
export const InstanceState = z.enum(INSTANCE_STATUSES);

export const CreateInstanceBody = z.strictObject({ environment: InstanceEnvironment });
/** What PATCH changes: the plan whose tier the instance runs (it must be the tenant's plan). */
export const UpdateInstanceBody = z.strictObject({ planId: z.string().min(1).max(32) });
export const ScaleBody = z.strictObject({ desiredCount: z.number().int().min(0).max(100) });

export const TenantInstancesQuery = z.strictObject({
  state: InstanceState.optional(),
  limit: Limit,
  cursor: Cursor,
});
export const InstancesQuery = z
  .strictObject({
    state: InstanceState.optional(),
    environment: InstanceEnvironment.optional(),
    limit: Limit,
    cursor: Cursor,
  })
  .refine((q) => q.state !== undefined || q.environment !== undefined, {
    message: 'give state or environment (or both)',
    path: ['state'],
  });

const Links = z.record(z.string(), z.object({ href: z.string() }));
const Tier = z.object({
  cpu: z.number(),
  memoryMiB: z.number(),
  desiredCount: z.number(),
  minCount: z.number(),
  maxCount: z.number(),
  storageGiB: z.number(),
});
export const InstanceView = z.object({
  instanceId: z.string(),
  tenantId: z.string(),
  environment: InstanceEnvironment,
  state: InstanceState,
  planId: z.string(),
  planVersion: z.number(),
  tier: Tier,
  desiredCount: z.number(),
  albSlot: z.object({ alb: z.number(), priority: z.number() }),
  suspended: z.boolean(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  /** the instance stream's version */
  version: z.number(),
  _links: Links,
});
export const InstanceStatusView = z.object({
  instanceId: z.string(),
  state: InstanceState,
  desiredCount: z.number(),
  /** what ECS last reported as desired (the scheduler may have moved it) */
  ecsDesiredCount: z.number().nullable(),
  runningCount: z.number().nullable(),
  lastEcsEvent: z
    .object({ eventName: z.string(), eventType: z.string(), at: z.string(), reason: z.string().optional() })
    .nullable(),
  change: z.object({ n: z.number(), kind: z.string(), phase: z.string(), commitSha: z.string().nullable() }),
  workflowRun: z.object({ id: z.number(), url: z.string() }).nullable(),
  failure: z.object({ conclusion: z.string(), reason: z.string() }).nullable(),
  updatedAt: z.string().optional(),
  version: z.number(),
  _links: Links,
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional(), _links: Links });

/** How the instance context's uniqueness keys read in a 409 (the ALB slot keys never reach a caller). */
export const instanceUniqueKeys: readonly UniqueKeyProblem[] = [
  {
    prefix: INSTANCE_KEY_PREFIX,
    field: 'environment',
    detail: 'the tenant already has an instance in this environment',
  },
];
