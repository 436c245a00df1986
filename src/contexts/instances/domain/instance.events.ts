import { z } from 'zod';
import { defineEvents, type EventsOf } from '#src/platform/domain/events.js';
import { AlbSlot, InstanceTier } from '../terraform/input.js';
import { ECS_DEPLOYMENT_STATE_CHANGE, ECS_SERVICE_ACTION, EcsEventName } from './ecs-events.js';

export const InstanceEnvironment = z.enum(['dev', 'sit', 'prod']);
export type InstanceEnvironment = z.infer<typeof InstanceEnvironment>;

const Id = z.string().min(1).max(64);
/** The number of the GitOps change (1 = the first provisioning): provisioner steps name the change they are for. */
const Change = z.number().int().min(1);
const PlanRef = { planId: z.string().min(1).max(32), planVersion: z.number().int().min(1) };
const Sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character hex commit SHA');
const RunId = z.number().int().positive();
const RunUrl = z.url({ protocol: /^https?$/ }).max(500);
const Reason = z.string().trim().min(1).max(1000);
const Arn = z
  .string()
  .regex(/^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d{12}:\S+$/, 'must be an ARN')
  .max(2048);
const Counts = z.strictObject({
  desiredCount: z.number().int().min(0).max(100),
  minCount: z.number().int().min(0).max(100),
  maxCount: z.number().int().min(0).max(100),
});

export const ProvisioningRequested = z.strictObject({
  instanceId: Id,
  tenantId: Id,
  environment: InstanceEnvironment,
  ...PlanRef,
  tier: InstanceTier,
  /** Which ALB of the environment and the first of its block of listener-rule priorities (reserved). */
  albSlot: AlbSlot,
  change: z.literal(1),
});
export const TierApplied = z.strictObject({
  ...PlanRef,
  tier: InstanceTier,
  /** The platform's desired count after the change: the old one, kept within the new bounds. */
  desiredCount: z.number().int().min(0).max(100),
  change: Change,
});
export const CommitStarted = z.strictObject({ change: Change });
export const Committed = z.strictObject({
  change: Change,
  commitSha: Sha,
  /** false: the folder already held these files, the head was recorded (the workflow still runs). */
  changed: z.boolean(),
  /**
   * The counts the committed folder carries: 0/0 (true, generated while SUSPENDED) or the tier's (false). Absent in
   * events recorded before it was carried: the tier's.
   */
  suspended: z.boolean().optional(),
});
export const WorkflowRun = z.strictObject({ change: Change, runId: RunId, runUrl: RunUrl });
export const WorkflowSucceeded = z.strictObject({ change: Change, runId: RunId });
export const WorkflowFailed = z.strictObject({
  change: Change,
  /** Absent when the step failed before a run existed (e.g. the Terraform check refused the folder). */
  runId: RunId.optional(),
  /** GitHub's conclusion (failure, cancelled, timed_out, ...) or the provisioner's own (`check_failed`). */
  conclusion: z.string().min(1).max(64),
  reason: Reason,
});
export const Resources = z.strictObject({
  serviceArn: Arn,
  serviceName: z.string().min(1).max(255).optional(),
  taskDefinitionArn: Arn.optional(),
  targetGroupArn: Arn.optional(),
  efsAccessPointId: z.string().min(1).max(128).optional(),
  databaseSecretArn: Arn.optional(),
  appPasswordSecretArn: Arn.optional(),
});
export const ResourcesRecorded = z.strictObject({ change: Change, resources: Resources });
export const Deprovisioned = z.strictObject({ change: Change, commitSha: Sha.optional() });

/**
 * One event ECS sent about the instance's service, as the ECS state sync received it: EventBridge's event `id`,
 * the detail-type, and detail's `eventName`, `eventType`, `createdAt` (Service Action) or `updatedAt` (Deployment
 * State Change) as `at`, and what else it carried. ECS facts are ordered by (`at`, `ecsEventId`), never by the
 * platform's clock.
 */
export const EcsFact = z
  .strictObject({
    ecsEventId: z.string().min(1).max(128),
    detailType: z.enum([ECS_SERVICE_ACTION, ECS_DEPLOYMENT_STATE_CHANGE]),
    eventName: EcsEventName,
    eventType: z.enum(['INFO', 'WARN', 'ERROR']),
    at: z.iso.datetime({ offset: true }),
    serviceArn: Arn,
    desiredCount: z.number().int().min(0).optional(),
    /** Not in ECS events: the sync may add it from DescribeServices. */
    runningCount: z.number().int().min(0).optional(),
    reason: z.string().max(2000).optional(),
    deploymentId: z.string().max(256).optional(),
    /**
     * Not in ECS events: when the service the ARN names now was created (DescribeServices' `createdAt`, ECS's clock),
     * as the sync read it. A fact dated before it is about an earlier service of the same ARN (deleted and created
     * again: ECS gives a re-created service its predecessor's ARN).
     */
    serviceCreatedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (fact) => fact.detailType !== ECS_DEPLOYMENT_STATE_CHANGE || fact.eventName.includes('DEPLOYMENT'),
    {
      message: 'an ECS Deployment State Change carries a SERVICE_DEPLOYMENT_* name',
      path: ['eventName'],
    },
  );
export type EcsFact = z.infer<typeof EcsFact>;

export const Scaled = z.strictObject({
  desiredCount: z.number().int().min(0).max(100),
  previousDesiredCount: z.number().int().min(0).max(100),
});
export const Suspended = z.strictObject({ previousCounts: Counts, reason: Reason });
export const Resumed = z.strictObject({ counts: Counts });
export const RetryRequested = z.strictObject({ change: Change, retryOf: Change });
export const DeprovisioningRequested = z.strictObject({ change: Change, reason: Reason });
/** The counts the folder will carry: 0/0 (`suspended`) or the tier's. */
export const FolderSyncRequested = z.strictObject({ change: Change, suspended: z.boolean() });

/** Every instance-management event, declared once: the catalogue's definitions and `InstanceEvent` come from here. */
export const instanceEvents = defineEvents('instance-management', {
  INSTANCE_PROVISIONING_REQUESTED: {
    schemas: [ProvisioningRequested],
    description: "An instance was asked for: the tenant, environment, the plan's tier and the ALB slot.",
  },
  INSTANCE_TIER_APPLIED: {
    schemas: [TierApplied],
    description: "The plan's tier (task size, counts, storage) was applied: a new GitOps change.",
  },
  INSTANCE_COMMIT_STARTED: {
    schemas: [CommitStarted],
    description: "The provisioner began writing the change's Terraform.",
  },
  INSTANCE_COMMITTED: {
    schemas: [Committed],
    description: "The change's Terraform is on the environment repository's branch, at this commit.",
  },
  INSTANCE_WORKFLOW_QUEUED: {
    schemas: [WorkflowRun],
    description: 'The deploy workflow was dispatched; GitHub queued this run.',
  },
  INSTANCE_WORKFLOW_RUNNING: { schemas: [WorkflowRun], description: 'The deploy workflow run started.' },
  INSTANCE_WORKFLOW_SUCCEEDED: {
    schemas: [WorkflowSucceeded],
    description: 'The deploy workflow run (terraform apply or destroy) succeeded.',
  },
  INSTANCE_WORKFLOW_FAILED: {
    schemas: [WorkflowFailed],
    description: "The change's workflow failed (or the change failed before a run).",
  },
  INSTANCE_RESOURCES_RECORDED: {
    schemas: [ResourcesRecorded],
    description: "The AWS resources Terraform made (the folder's outputs); reserves the service ARN.",
  },
  ECS_SERVICE_EVENT: {
    schemas: [EcsFact],
    description:
      'ECS reported an event about the service (SERVICE_STEADY_STATE, SERVICE_DEPLOYMENT_FAILED, ...).',
  },
  INSTANCE_SCALED: {
    schemas: [Scaled],
    description: "The platform's desired task count was set (within the tier's bounds).",
  },
  INSTANCE_SUSPENDED: {
    schemas: [Suspended],
    description: 'The instance was suspended (desired 0, autoscaling 0/0); the counts to restore.',
  },
  INSTANCE_RESUMED: {
    schemas: [Resumed],
    description: 'A suspended instance was resumed with these counts.',
  },
  INSTANCE_RETRY_REQUESTED: {
    schemas: [RetryRequested],
    description: 'A failed change is tried again, as a new change.',
  },
  INSTANCE_FOLDER_SYNC_REQUESTED: {
    schemas: [FolderSyncRequested],
    description:
      "The tenant folder is committed and applied again so that git says what ECS control applied (0/0 after a suspension, the tier's counts after a resume).",
  },
  INSTANCE_DEPROVISIONING_REQUESTED: {
    schemas: [DeprovisioningRequested],
    description: 'The instance is to be destroyed (terraform destroy, then its folder removed).',
  },
  INSTANCE_DEPROVISIONED: {
    schemas: [Deprovisioned],
    description: 'Its resources and folder are gone; the instance is DELETED and its reservations released.',
  },
});

/** The `{type, data}` union the instance decider and projections work with, derived from the schemas above. */
export type InstanceEvent = EventsOf<typeof instanceEvents>;

export const instanceEventDefinitions = instanceEvents.definitions;
