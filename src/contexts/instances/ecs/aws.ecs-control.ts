import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  type Bounds,
  type EcsServices,
  type ScalableTargets,
  type ServiceCounts,
  scalableResourceId,
  serviceOfArn,
} from './ecs-control.port.js';

const TARGET = { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount' } as const;

/** EcsServices on the ECS API: DescribeServices and UpdateService (desiredCount only). */
export class AwsEcsServices implements EcsServices {
  constructor(private readonly ecs: ECSClient) {}

  async describe(
    serviceArn: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ServiceCounts | undefined> {
    const { cluster } = serviceOfArn(serviceArn);
    const out = await this.ecs.send(
      new DescribeServicesCommand({ cluster, services: [serviceArn] }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const service = out.services?.find((s) => s.serviceArn === serviceArn && s.status !== 'INACTIVE');
    if (!service) return undefined;
    return {
      desiredCount: service.desiredCount ?? 0,
      runningCount: service.runningCount ?? 0,
      createdAt: service.createdAt?.toISOString(),
    };
  }

  async setDesiredCount(serviceArn: string, desiredCount: number): Promise<void> {
    const { cluster } = serviceOfArn(serviceArn);
    await this.ecs.send(new UpdateServiceCommand({ cluster, service: serviceArn, desiredCount }));
  }
}

/** ScalableTargets on Application Auto Scaling: the service's DesiredCount target. */
export class AwsScalableTargets implements ScalableTargets {
  constructor(private readonly scaling: ApplicationAutoScalingClient) {}

  async describe(serviceArn: string): Promise<Bounds | undefined> {
    const ResourceId = scalableResourceId(serviceArn);
    const out = await this.scaling.send(
      new DescribeScalableTargetsCommand({ ...TARGET, ResourceIds: [ResourceId] }),
    );
    const target = out.ScalableTargets?.find((t) => t.ResourceId === ResourceId);
    return target && { minCount: target.MinCapacity ?? 0, maxCount: target.MaxCapacity ?? 0 };
  }

  async register(serviceArn: string, { minCount, maxCount }: Bounds): Promise<void> {
    await this.scaling.send(
      new RegisterScalableTargetCommand({
        ...TARGET,
        ResourceId: scalableResourceId(serviceArn),
        MinCapacity: minCount,
        MaxCapacity: maxCount,
      }),
    );
  }
}
