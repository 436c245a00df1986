import type { Bounds, EcsControlPorts, ServiceCounts } from './ecs-control.port.js';
import { serviceOfArn } from './ecs-control.port.js';

/**
 * ECS and Application Auto Scaling in memory, for unit tests: services exist once `create`d; a registered target
 * keeps the desired count within its bounds at once (what AWS does at its next evaluation).
 */
export class InMemoryEcsControl implements EcsControlPorts {
  readonly counts = new Map<string, ServiceCounts>();
  readonly bounds = new Map<string, Bounds>();
  /** Every call made, in order (tests assert the order: bounds before counts). */
  readonly calls: string[] = [];

  /** `clock`: ECS's, which dates a service's creation (tests whose facts are dated in the past give theirs). */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** A service (again, after a delete: a new creation time, as ECS gives a re-created service). */
  create(serviceArn: string, desiredCount: number, createdAt = this.clock().toISOString()): void {
    serviceOfArn(serviceArn);
    this.counts.set(serviceArn, { desiredCount, runningCount: desiredCount, createdAt });
  }

  /** The service deleted: ECS describes it no more (INACTIVE). */
  delete(serviceArn: string): void {
    this.counts.delete(serviceArn);
    this.bounds.delete(serviceArn);
  }

  readonly services = {
    describe: async (serviceArn: string, options: { signal?: AbortSignal } = {}) => {
      options.signal?.throwIfAborted();
      const found = this.counts.get(serviceArn);
      return found && { ...found };
    },
    setDesiredCount: async (serviceArn: string, desiredCount: number) => {
      const found = this.counts.get(serviceArn);
      if (!found) throw new Error(`ServiceNotFoundException: ${serviceArn}`);
      this.calls.push(`desired ${desiredCount}`);
      this.counts.set(serviceArn, { ...found, desiredCount, runningCount: desiredCount });
    },
  };

  readonly targets = {
    describe: async (serviceArn: string) => {
      const found = this.bounds.get(serviceArn);
      return found && { ...found };
    },
    register: async (serviceArn: string, bounds: Bounds) => {
      const found = this.counts.get(serviceArn);
      if (!found) throw new Error(`ValidationException: ECS service doesn't exist: ${serviceArn}`);
      if (bounds.minCount > bounds.maxCount) throw new Error('ValidationException: min > max');
      this.calls.push(`bounds ${bounds.minCount}..${bounds.maxCount}`);
      this.bounds.set(serviceArn, { ...bounds });
      const desired = Math.min(Math.max(found.desiredCount, bounds.minCount), bounds.maxCount);
      this.counts.set(serviceArn, { ...found, desiredCount: desired, runningCount: desired });
    },
  };
}
