import { z } from 'zod';

/**
 * Every ECS event name of ../shared/reference/aws-facts.md, by the EventBridge detail-type that carries it. There is
 * no `DEPLOYMENT_FAILED` Service Action (the design document's 5.1/5.2 name it): a failed deployment is
 * SERVICE_DEPLOYMENT_FAILED of "ECS Deployment State Change", sent only with the circuit breaker on (the tenant
 * Terraform turns it on).
 */
export const ECS_SERVICE_ACTION = 'ECS Service Action';
export const ECS_DEPLOYMENT_STATE_CHANGE = 'ECS Deployment State Change';

export const ECS_EVENT_NAMES = {
  [ECS_SERVICE_ACTION]: [
    'SERVICE_STEADY_STATE',
    'TASKSET_STEADY_STATE',
    'CAPACITY_PROVIDER_STEADY_STATE',
    'SERVICE_DESIRED_COUNT_UPDATED',
    'TASKS_STOPPED',
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'SERVICE_DEPLOYMENT_COMPLETED',
    'SERVICE_TASK_START_IMPAIRED',
    'SERVICE_DISCOVERY_INSTANCE_UNHEALTHY',
    'VPC_LATTICE_TARGET_UNHEALTHY',
    'SERVICE_TASK_PLACEMENT_FAILURE',
    'SERVICE_TASK_CONFIGURATION_FAILURE',
    'ECS_OPERATION_THROTTLED',
    'SERVICE_DISCOVERY_OPERATION_THROTTLED',
    'SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED',
  ],
  [ECS_DEPLOYMENT_STATE_CHANGE]: [
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'SERVICE_DEPLOYMENT_COMPLETED',
    'SERVICE_DEPLOYMENT_FAILED',
  ],
} as const;

const names = [
  ...new Set([...ECS_EVENT_NAMES[ECS_SERVICE_ACTION], ...ECS_EVENT_NAMES[ECS_DEPLOYMENT_STATE_CHANGE]]),
];
export const EcsEventName = z.enum(names as [EcsEventName, ...EcsEventName[]]);
export type EcsEventName =
  | (typeof ECS_EVENT_NAMES)[typeof ECS_SERVICE_ACTION][number]
  | (typeof ECS_EVENT_NAMES)[typeof ECS_DEPLOYMENT_STATE_CHANGE][number];

/** What an ECS event means for an instance; everything not listed is recorded and changes nothing. */
export type EcsMeaning = 'steady' | 'deploymentFailed' | 'deploying' | 'schedulerScaled' | 'other';

/**
 * SERVICE_DEPLOYMENT_COMPLETED is a steady service on its new deployment; SERVICE_DESIRED_COUNT_UPDATED is the
 * scheduler (autoscaling) changing the count, never the platform's own UpdateService (AWS does not send it then).
 */
export function meaningOf(name: EcsEventName): EcsMeaning {
  switch (name) {
    case 'SERVICE_STEADY_STATE':
    case 'SERVICE_DEPLOYMENT_COMPLETED':
      return 'steady';
    case 'SERVICE_DEPLOYMENT_FAILED':
      return 'deploymentFailed';
    case 'SERVICE_DEPLOYMENT_IN_PROGRESS':
      return 'deploying';
    case 'SERVICE_DESIRED_COUNT_UPDATED':
      return 'schedulerScaled';
    default:
      return 'other';
  }
}

/** All names, each once, in the order of aws-facts.md (Service Action first, then Deployment State Change). */
export const ALL_ECS_EVENT_NAMES: readonly EcsEventName[] = EcsEventName.options;
