import { createHash } from 'node:crypto';
import {
  AwsApiError,
  type CallerAccount,
  epochSeconds,
  int,
  type Operation,
  str,
} from './aws-json-server.js';
import type { LocalEcs } from './ecs.js';

interface ScalableTarget {
  ServiceNamespace: 'ecs';
  ResourceId: string;
  ScalableDimension: 'ecs:service:DesiredCount';
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: number;
  SuspendedState: Record<string, boolean>;
  ScalableTargetARN: string;
}

/**
 * Application Auto Scaling for ECS services' desired count. As in AWS, it keeps a registered service's desired
 * count within [min, max]: at registration, and again every `enforceMs` (a service set to 0 while min is 1 is
 * started again; that is why suspending sets min and max to 0). Its own changes are the scheduler's (ECS sends
 * SERVICE_DESIRED_COUNT_UPDATED for them).
 */
export class LocalApplicationAutoScaling {
  private readonly targets = new Map<string, ScalableTarget>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ecs: LocalEcs,
    private readonly options: { region: string; account: string; enforceMs: number },
  ) {
    this.timer = setInterval(() => this.enforceAll(), options.enforceMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Keeps every registered service within its bounds now (what AWS does at its next scaling evaluation). */
  enforceAll(): void {
    for (const target of this.targets.values()) this.enforce(target);
  }

  readonly operations: Record<string, Operation> = {
    RegisterScalableTarget: (input, caller) => {
      const key = this.key(input, caller);
      const existing = this.targets.get(key);
      const min = int(input, 'MinCapacity', 'ValidationException') ?? existing?.MinCapacity;
      const max = int(input, 'MaxCapacity', 'ValidationException') ?? existing?.MaxCapacity;
      if (min === undefined || max === undefined)
        throw new AwsApiError(
          'ValidationException',
          'MinCapacity and MaxCapacity are required for a new target',
        );
      if (min > max)
        throw new AwsApiError(
          'ValidationException',
          'Minimum capacity cannot be greater than maximum capacity',
        );
      const id = createHash('sha256').update(key).digest('hex').slice(0, 36);
      const target: ScalableTarget = {
        ServiceNamespace: 'ecs',
        ResourceId: str(input, 'ResourceId'),
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: min,
        MaxCapacity: max,
        RoleARN: `arn:aws:iam::${caller.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        CreationTime: existing?.CreationTime ?? epochSeconds(Date.now()),
        SuspendedState:
          (input.SuspendedState as Record<string, boolean> | undefined) ?? existing?.SuspendedState ?? {},
        ScalableTargetARN: `arn:aws:application-autoscaling:${this.options.region}:${caller.account}:scalable-target/${id}`,
      };
      this.targets.set(key, target);
      this.enforce(target);
      return { ScalableTargetARN: target.ScalableTargetARN };
    },
    DeregisterScalableTarget: (input, caller) => {
      if (!this.targets.delete(this.key(input, caller)))
        throw new AwsApiError('ObjectNotFoundException', 'No scalable target registered for the resource');
      return {};
    },
    DescribeScalableTargets: (input, caller) => {
      if (str(input, 'ServiceNamespace') !== 'ecs') return { ScalableTargets: [] };
      const ids = Array.isArray(input.ResourceIds) ? input.ResourceIds.map(String) : undefined;
      const dimension = str(input, 'ScalableDimension', true);
      return {
        ScalableTargets: [...this.targets.values()].filter(
          (t) =>
            this.accountOf(t.ResourceId) === caller.account &&
            (ids === undefined || ids.includes(t.ResourceId)) &&
            (dimension === undefined || dimension === t.ScalableDimension),
        ),
      };
    },
  };

  /** The account of a target's service (a resource id names no account: it is the caller's). */
  private accountOf(resourceId: string): string | undefined {
    const cluster = resourceId.split('/')[1];
    return cluster === undefined ? undefined : this.ecs.accountOf(cluster);
  }

  private key(input: Record<string, unknown>, caller: CallerAccount): string {
    if (
      str(input, 'ServiceNamespace') !== 'ecs' ||
      str(input, 'ScalableDimension') !== 'ecs:service:DesiredCount'
    )
      throw new AwsApiError('ValidationException', 'only ecs:service:DesiredCount is supported locally');
    const resourceId = str(input, 'ResourceId');
    if (
      this.ecs.byResourceId(resourceId)?.status !== 'ACTIVE' ||
      this.accountOf(resourceId) !== caller.account
    )
      throw new AwsApiError('ValidationException', `ECS service doesn't exist: ${resourceId}`);
    return resourceId;
  }

  private enforce(target: ScalableTarget): void {
    const service = this.ecs.byResourceId(target.ResourceId);
    if (service?.status !== 'ACTIVE') return;
    const bounded = Math.min(Math.max(service.desiredCount, target.MinCapacity), target.MaxCapacity);
    if (bounded !== service.desiredCount) this.ecs.setDesiredCount(service, bounded, 'autoscaling');
  }
}
