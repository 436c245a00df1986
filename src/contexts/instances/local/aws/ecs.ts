import { deploymentStateChange, type EcsEventDelivery, serviceAction } from './ecs-events.js';
import { type Deployment, deploymentId, type Service, type TaskDefinition } from './ecs-service.js';

export interface EcsTiming {
  /** From a deployment or a new desired count to tasks running (or failing to start). */
  taskStartMs: number;
  /** From a deletion to the service being INACTIVE. */
  taskStopMs: number;
  /** SERVICE_STEADY_STATE is sent again this often while a service stays steady (desired 0 included). */
  steadyRepeatMs: number;
}

export interface LocalEcsOptions {
  region: string;
  /** The account of every cluster `clusterAccounts` does not place elsewhere. */
  account: string;
  clusters: readonly string[];
  /** A cluster's account when it is not `account` (each workload environment has its own). */
  clusterAccounts?: Readonly<Record<string, string>>;
  events: EcsEventDelivery;
  timing?: Partial<EcsTiming>;
}

/**
 * ECS as the platform uses it: services of Fargate tasks in a few clusters, with task definitions. A create or a
 * new task definition is a deployment (IN_PROGRESS, then after `taskStartMs` SERVICE_STEADY_STATE and COMPLETED;
 * with `failDeployments`, SERVICE_TASK_START_IMPAIRED and, the circuit breaker being on, FAILED and a rollback to
 * the last completed task definition). A new desired count alone is no deployment: the running count follows after
 * `taskStartMs`, then SERVICE_STEADY_STATE. Steady services repeat SERVICE_STEADY_STATE, at desired count 0 too.
 */
export class LocalEcs {
  readonly timing: EcsTiming;
  readonly services = new Map<string, Service>();
  /** By `<account>/<family>` (ecs-api.ts): each account its own families and revisions. */
  readonly taskDefinitions = new Map<string, TaskDefinition[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failing = new Map<string, number>();
  private readonly listeners: ((service: Service) => void)[] = [];
  private readonly repeat: NodeJS.Timeout;

  constructor(readonly options: LocalEcsOptions) {
    this.timing = { taskStartMs: 300, taskStopMs: 200, steadyRepeatMs: 60_000, ...options.timing };
    this.repeat = setInterval(() => this.repeatSteadyState(), this.timing.steadyRepeatMs);
    this.repeat.unref();
  }

  /** The next `count` deployments of the service fail to start tasks (a test hook). */
  failDeployments(serviceName: string, count = 1): void {
    this.failing.set(serviceName, (this.failing.get(serviceName) ?? 0) + count);
  }

  /** Called after every change of a service (the task fleet and the ALB follow it). */
  onChange(listener: (service: Service) => void): void {
    this.listeners.push(listener);
  }

  list(): Service[] {
    return [...this.services.values()];
  }

  /** The service by its Application Auto Scaling resource id (`service/<cluster>/<name>`). */
  byResourceId(resourceId: string): Service | undefined {
    const [kind, cluster, name] = resourceId.split('/');
    return kind === 'service' && cluster && name
      ? this.services.get(this.serviceArn(cluster, name))
      : undefined;
  }

  /** A new desired count; `autoscaling` says the scheduler changed it, not a user (SERVICE_DESIRED_COUNT_UPDATED). */
  setDesiredCount(service: Service, count: number, cause: 'user' | 'autoscaling'): void {
    if (service.desiredCount === count) return;
    service.desiredCount = count;
    for (const d of service.deployments.filter((d) => d.status === 'PRIMARY')) d.desiredCount = count;
    service.steady = false;
    if (cause === 'autoscaling') this.emitAction(service, 'SERVICE_DESIRED_COUNT_UPDATED');
    this.message(service, `(service ${service.name}) has a desired count of ${count}.`);
    this.schedule(service, () => this.converge(service));
  }

  serviceArn(cluster: string, name: string): string {
    return `arn:aws:ecs:${this.options.region}:${this.accountOf(cluster)}:service/${cluster}/${name}`;
  }

  /** The account a cluster is in. */
  accountOf(cluster: string): string {
    return this.options.clusterAccounts?.[cluster] ?? this.options.account;
  }

  stop(): void {
    clearInterval(this.repeat);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  deploy(service: Service, taskDefinition: string, reason?: string): void {
    for (const d of service.deployments) d.status = 'ACTIVE';
    const now = Date.now();
    const deployment: Deployment = {
      id: deploymentId(),
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: service.desiredCount,
      runningCount: 0,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: reason ?? 'ECS deployment in progress.',
      createdAt: now,
      updatedAt: now,
    };
    service.deployments.unshift(deployment);
    service.taskDefinition = taskDefinition;
    service.steady = false;
    this.emitDeployment(
      service,
      deployment,
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      reason ?? `ECS deployment ${deployment.id} in progress.`,
    );
    this.notify(service);
    this.schedule(service, () => this.converge(service));
  }

  private converge(service: Service): void {
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) return;
    const failures = this.failing.get(service.name) ?? 0;
    if (primary.rolloutState === 'IN_PROGRESS' && failures > 0) {
      this.failToStart(service, primary, failures);
      return;
    }
    service.runningCount = service.desiredCount;
    primary.runningCount = service.desiredCount;
    service.deployments = [primary];
    const completing = primary.rolloutState === 'IN_PROGRESS';
    service.steady = true;
    this.message(service, `(service ${service.name}) has reached a steady state.`);
    this.emitAction(service, 'SERVICE_STEADY_STATE');
    if (completing) {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      primary.updatedAt = Date.now();
      service.stableTaskDefinition = primary.taskDefinition;
      this.emitDeployment(
        service,
        primary,
        'SERVICE_DEPLOYMENT_COMPLETED',
        `ECS deployment ${primary.id} completed.`,
      );
    }
    this.notify(service);
  }

  private failToStart(service: Service, primary: Deployment, failures: number): void {
    this.failing.set(service.name, failures - 1);
    primary.failedTasks += Math.max(service.desiredCount, 1);
    this.message(service, `(service ${service.name}) is unable to consistently start tasks successfully.`);
    this.emitAction(service, 'SERVICE_TASK_START_IMPAIRED');
    if (!service.circuitBreaker.enable) {
      this.schedule(service, () => this.converge(service));
      return;
    }
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    primary.updatedAt = Date.now();
    this.emitDeployment(service, primary, 'SERVICE_DEPLOYMENT_FAILED', primary.rolloutStateReason);
    const back = service.stableTaskDefinition;
    if (service.circuitBreaker.rollback && back)
      this.deploy(
        service,
        back,
        `ECS deployment circuit breaker: rolling back to deploymentId ${primary.id}.`,
      );
    else this.notify(service);
  }

  private repeatSteadyState(): void {
    for (const service of this.services.values())
      if (service.status === 'ACTIVE' && service.steady) this.emitAction(service, 'SERVICE_STEADY_STATE');
  }

  schedule(service: Service, run: () => void, ms = this.timing.taskStartMs): void {
    clearTimeout(this.timers.get(service.arn));
    const timer = setTimeout(() => {
      this.timers.delete(service.arn);
      run();
    }, ms);
    timer.unref();
    this.timers.set(service.arn, timer);
  }

  private emitAction(service: Service, name: Parameters<typeof serviceAction>[2]): void {
    this.options.events.emit({
      ...serviceAction(service.arn, service.clusterArn, name, new Date()),
      account: this.accountOf(service.cluster),
    });
  }

  private emitDeployment(
    service: Service,
    d: Deployment,
    name: Parameters<typeof deploymentStateChange>[1],
    reason: string,
  ): void {
    this.options.events.emit({
      ...deploymentStateChange(service.arn, name, d.id, new Date(), reason),
      account: this.accountOf(service.cluster),
    });
  }

  private message(service: Service, message: string): void {
    service.messages.push({ id: crypto.randomUUID(), createdAt: Date.now(), message });
  }

  notify(service: Service): void {
    for (const listener of this.listeners) listener(service);
  }
}
