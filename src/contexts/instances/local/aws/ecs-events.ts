import { randomUUID } from 'node:crypto';
/**
 * ECS events with AWS's exact shapes (source `aws.ecs`; docs "Amazon ECS service action events" and "Amazon ECS
 * service deployment state change events"): the service only by its ARN in `resources[0]`, no tags.
 */
export type ServiceActionName =
  | 'SERVICE_STEADY_STATE'
  | 'SERVICE_DESIRED_COUNT_UPDATED'
  | 'TASKS_STOPPED'
  | 'SERVICE_TASK_START_IMPAIRED'
  | 'SERVICE_TASK_PLACEMENT_FAILURE';

export type DeploymentEventName =
  | 'SERVICE_DEPLOYMENT_IN_PROGRESS'
  | 'SERVICE_DEPLOYMENT_COMPLETED'
  | 'SERVICE_DEPLOYMENT_FAILED';

const EVENT_TYPE: Record<ServiceActionName | DeploymentEventName, 'INFO' | 'WARN' | 'ERROR'> = {
  SERVICE_STEADY_STATE: 'INFO',
  SERVICE_DESIRED_COUNT_UPDATED: 'INFO',
  TASKS_STOPPED: 'INFO',
  SERVICE_TASK_START_IMPAIRED: 'WARN',
  SERVICE_TASK_PLACEMENT_FAILURE: 'ERROR',
  SERVICE_DEPLOYMENT_IN_PROGRESS: 'INFO',
  SERVICE_DEPLOYMENT_COMPLETED: 'INFO',
  SERVICE_DEPLOYMENT_FAILED: 'ERROR',
};

/** What the ECS stand-in sends: a PutEvents-like entry for the account's default bus. */
export interface EcsEvent {
  source: 'aws.ecs';
  detailType: 'ECS Service Action' | 'ECS Deployment State Change';
  resources: [string];
  detail: Record<string, unknown>;
  time: Date;
  /** EventBridge's id, given when emitted: a duplicate or late redelivery keeps it, as AWS does. */
  id?: string;
  /** The account the service runs in (EventBridge's `account`): its cluster's. */
  account?: string;
}

/** `ECS Service Action`: eventType, eventName, clusterArn, createdAt (milliseconds, as AWS sends it). */
export function serviceAction(
  serviceArn: string,
  clusterArn: string,
  eventName: ServiceActionName,
  at: Date,
  extra: Record<string, unknown> = {},
): EcsEvent {
  return {
    source: 'aws.ecs',
    detailType: 'ECS Service Action',
    resources: [serviceArn],
    detail: {
      eventType: EVENT_TYPE[eventName],
      eventName,
      clusterArn,
      createdAt: at.toISOString(),
      ...extra,
    },
    time: at,
  };
}

/** `ECS Deployment State Change`: eventType, eventName, deploymentId, updatedAt (whole seconds), reason. */
export function deploymentStateChange(
  serviceArn: string,
  eventName: DeploymentEventName,
  deploymentId: string,
  at: Date,
  reason: string,
): EcsEvent {
  return {
    source: 'aws.ecs',
    detailType: 'ECS Deployment State Change',
    resources: [serviceArn],
    detail: {
      eventType: EVENT_TYPE[eventName],
      eventName,
      deploymentId,
      updatedAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason,
    },
    time: at,
  };
}

type Matches = (event: EcsEvent) => boolean;
const every: Matches = () => true;

/**
 * Sends ECS events to the bus, with the delivery faults EventBridge has (test hooks): `duplicate(n)` delivers the
 * next n matching events twice; `holdBack(n)` holds the next n matching events and then delivers them newest
 * first; `redeliver` sends an earlier event again, late. Each event gets its EventBridge id when emitted, and every
 * delivery of it carries that id (AWS redelivers an event under its id). `sent` is every event in the order ECS
 * emitted it, `delivered` in the order the bus got them.
 */
export class EcsEventDelivery {
  readonly sent: EcsEvent[] = [];
  readonly delivered: EcsEvent[] = [];
  private duplicates = { count: 0, matches: every };
  private holding = { count: 0, matches: every, held: [] as EcsEvent[] };

  constructor(private readonly put: (event: EcsEvent) => void) {}

  duplicate(count: number, matches: Matches = every): void {
    this.duplicates = { count, matches };
  }

  holdBack(count: number, matches: Matches = every): void {
    this.release();
    this.holding = { count, matches, held: [] };
  }

  emit(emitted: EcsEvent): void {
    const event = { ...emitted, id: emitted.id ?? randomUUID() };
    this.sent.push(event);
    if (this.holding.count > 0 && this.holding.matches(event)) {
      this.holding.held.push(event);
      this.holding.count -= 1;
      if (this.holding.count === 0) this.release();
      return;
    }
    this.deliver(event);
  }

  /** Delivers the held events now, newest first. */
  release(): void {
    const held = this.holding.held.reverse();
    this.holding = { count: 0, matches: every, held: [] };
    for (const event of held) this.deliver(event);
  }

  /** Sends again the newest emitted event that matches, as a late duplicate; false when none does. */
  redeliver(matches: Matches): boolean {
    const event = [...this.sent].reverse().find(matches);
    if (event) this.deliver(event);
    return event !== undefined;
  }

  private deliver(event: EcsEvent): void {
    const twice = this.duplicates.count > 0 && this.duplicates.matches(event);
    if (twice) this.duplicates.count -= 1;
    for (let i = 0; i < (twice ? 2 : 1); i++) {
      this.delivered.push(event);
      this.put(event);
    }
  }
}
