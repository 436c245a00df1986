import { randomInt } from 'node:crypto';
import { epochSeconds } from './aws-json-server.js';

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  cpu: string;
  memory: string;
  input: Record<string, unknown>;
  registeredAt: number;
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  createdAt: number;
  updatedAt: number;
}

export interface Service {
  arn: string;
  name: string;
  cluster: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  runningCount: number;
  taskDefinition: string;
  deployments: Deployment[];
  /** The last completed task definition: a circuit-breaker rollback returns to it. */
  stableTaskDefinition?: string;
  /** Steady: running equals desired and no deployment is in progress (SERVICE_STEADY_STATE repeats). */
  steady: boolean;
  circuitBreaker: { enable: boolean; rollback: boolean };
  loadBalancers: unknown[];
  tags: { key: string; value: string }[];
  input: Record<string, unknown>;
  createdAt: number;
  messages: { id: string; createdAt: number; message: string }[];
}

/** ECS deployment ids look like `ecs-svc/` and 19 digits. */
export const deploymentId = (): string =>
  `ecs-svc/${String(randomInt(1, 10 ** 9)).padStart(9, '0')}${String(randomInt(0, 10 ** 10)).padStart(10, '0')}`;

/** The Application Auto Scaling resource id of a service. */
export const resourceIdOf = (service: Pick<Service, 'cluster' | 'name'>): string =>
  `service/${service.cluster}/${service.name}`;

export function deploymentView(d: Deployment): Record<string, unknown> {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: Math.max(d.desiredCount - d.runningCount, 0),
    runningCount: d.runningCount,
    failedTasks: d.failedTasks,
    createdAt: epochSeconds(d.createdAt),
    updatedAt: epochSeconds(d.updatedAt),
    launchType: 'FARGATE',
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** DescribeServices' view of a service (tags only when asked for, as ECS does). */
export function serviceView(s: Service, withTags: boolean): Record<string, unknown> {
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: s.runningCount,
    pendingCount: Math.max(s.desiredCount - s.runningCount, 0),
    launchType: 'FARGATE',
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: {
      deploymentCircuitBreaker: s.circuitBreaker,
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: s.deployments.map(deploymentView),
    events: s.messages
      .slice(-100)
      .reverse()
      .map((m) => ({ ...m, createdAt: epochSeconds(m.createdAt) })),
    createdAt: epochSeconds(s.createdAt),
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    propagateTags: s.input.propagateTags ?? 'NONE',
    enableECSManagedTags: s.input.enableECSManagedTags === true,
    ...(s.input.healthCheckGracePeriodSeconds === undefined
      ? {}
      : { healthCheckGracePeriodSeconds: s.input.healthCheckGracePeriodSeconds }),
    ...(s.input.networkConfiguration === undefined
      ? {}
      : { networkConfiguration: s.input.networkConfiguration }),
    ...(withTags ? { tags: s.tags } : {}),
  };
}

export function taskDefinitionView(t: TaskDefinition): Record<string, unknown> {
  return {
    ...t.input,
    taskDefinitionArn: t.arn,
    family: t.family,
    revision: t.revision,
    cpu: t.cpu,
    memory: t.memory,
    status: 'ACTIVE',
    registeredAt: epochSeconds(t.registeredAt),
  };
}
