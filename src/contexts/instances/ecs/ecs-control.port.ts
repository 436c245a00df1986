/**
 * What ECS control needs of a workload environment, as two small ports: the service's desired count (ECS) and the
 * bounds Application Auto Scaling keeps it within. A service is named by its ARN, which holds its cluster
 * (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`).
 */
export interface ServiceCounts {
  desiredCount: number;
  runningCount: number;
  /**
   * When the service was created (DescribeServices' `createdAt`, ECS's clock, ISO 8601): a service deleted and
   * created again under the same ARN has a new one. The ECS state sync records it with each fact
   * (`serviceCreatedAt`), and the decider drops facts dated before it (a predecessor's).
   */
  createdAt?: string | undefined;
}

export interface EcsServices {
  /**
   * undefined: no such service (never created, or deleted). `signal` abandons the call (the ECS state sync's
   * deadline); an adapter that cannot abandon it may ignore it.
   */
  describe(serviceArn: string, options?: { signal?: AbortSignal }): Promise<ServiceCounts | undefined>;
  setDesiredCount(serviceArn: string, desiredCount: number): Promise<void>;
}

export interface Bounds {
  minCount: number;
  maxCount: number;
}

export interface ScalableTargets {
  /** undefined: the service is not registered with Application Auto Scaling. */
  describe(serviceArn: string): Promise<Bounds | undefined>;
  /** Registers or updates the service's target (idempotent). */
  register(serviceArn: string, bounds: Bounds): Promise<void>;
}

/** The ports of one workload environment (each its own account: its own clients and role). */
export interface EcsControlPorts {
  services: EcsServices;
  targets: ScalableTargets;
}

export class ServiceArnError extends Error {
  override readonly name = 'ServiceArnError';
}

/** The cluster and service name of a service ARN (the new, long ARN format: the only one Terraform makes). */
export function serviceOfArn(serviceArn: string): { cluster: string; name: string } {
  const match = /^arn:[a-z-]+:ecs:[a-z0-9-]*:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(serviceArn);
  if (!match?.[1] || !match[2]) throw new ServiceArnError(`not an ECS service ARN: ${serviceArn}`);
  return { cluster: match[1], name: match[2] };
}

/** Application Auto Scaling's resource id of a service: `service/<cluster>/<name>`. */
export function scalableResourceId(serviceArn: string): string {
  const { cluster, name } = serviceOfArn(serviceArn);
  return `service/${cluster}/${name}`;
}
