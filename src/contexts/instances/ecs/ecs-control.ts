import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { loadOptionsOf, stateOf } from '#src/platform/command/dependency.js';
import type { Consumer } from '#src/platform/consumers/consumer.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import type { InstanceState, Live } from '../domain/instance.state.js';
import { serviceName } from '../terraform/naming.js';
import type { Bounds, EcsControlPorts } from './ecs-control.port.js';

/** What the event says does not matter: the instance's head does (the event may be old, or repeated). */
const Any = z.object({});
const events = {
  INSTANCE_SCALED: Any,
  INSTANCE_SUSPENDED: Any,
  INSTANCE_RESUMED: Any,
  INSTANCE_WORKFLOW_SUCCEEDED: Any,
  // The service's ARN is recorded after the workflow's success: a suspension in between found no service to stop.
  INSTANCE_RESOURCES_RECORDED: Any,
};
export type ControlTrigger = keyof typeof events;

/** What to do to the service: its bounds first (when given), then its desired count. */
export type ControlPlan =
  | { action: 'none'; why: string }
  | {
      action: 'apply';
      serviceArn: string;
      environment: InstanceEnvironment;
      bounds?: Bounds;
      desiredCount: number;
    };

/**
 * The ARN of the service the naming convention gives a tenant in an environment's cluster (the one its Terraform
 * creates: terraform/naming.ts), or undefined where the environment's cluster is not known.
 */
export type NamedService = (environment: InstanceEnvironment, tenantId: string) => string | undefined;

/**
 * The named service in each environment's cluster, given the clusters' ARNs
 * (`arn:aws:ecs:<region>:<account>:cluster/<name>` -> `arn:aws:ecs:<region>:<account>:service/<name>/<service>`).
 */
export function namedServices(clusterArns: Partial<Record<InstanceEnvironment, string>>): NamedService {
  return (environment, tenantId) => {
    const match = /^(arn:aws[\w-]*:ecs:[\w-]+:\d{12}):cluster\/([\w-]{1,255})$/.exec(
      clusterArns[environment] ?? '',
    );
    return match ? `${match[1]}:service/${match[2]}/${serviceName(environment, tenantId)}` : undefined;
  };
}

/**
 * The service to control: the one recorded from the run's outputs, else (the deploy-outcome report was missed:
 * nothing records them later) the named one, once a workflow of the instance succeeded (its service exists).
 */
function serviceOf(state: Live, named: NamedService | undefined): string | undefined {
  if (state.resources) return state.resources.serviceArn;
  const applied =
    state.everActive || (state.change.kind !== 'deprovision' && state.change.phase === 'succeeded');
  return applied ? named?.(state.environment, state.tenantId) : undefined;
}

/**
 * ECS control's decision (src/contexts/instances/README.md, "ECS control's contract"), from the instance's head:
 * a SUSPENDED instance is held at 0 with bounds 0..0 whatever the event (autoscaling would start it again); a
 * resumed one gets its tier's bounds, then its desired count; a scale only the desired count. A workflow success
 * (or the resources it recorded) changes nothing unless the instance is suspended (the folder's counts are the
 * tier's: Terraform set them) or a sync is at the head (the folder applied may be a suspension's 0/0: the decider
 * started the sync because the instance was resumed meanwhile).
 */
export function controlPlan(
  trigger: ControlTrigger,
  state: InstanceState,
  named?: NamedService,
): ControlPlan {
  if (state.status === 'NEW') return { action: 'none', why: 'no such instance' };
  if (state.status === 'DELETED' || state.status === 'DEPROVISIONING')
    return { action: 'none', why: `the instance is ${state.status}` };
  const serviceArn = serviceOf(state, named);
  if (!serviceArn) return { action: 'none', why: 'no service recorded yet' };
  const target = { serviceArn, environment: state.environment };
  if (state.status === 'SUSPENDED')
    return { action: 'apply', ...target, bounds: { minCount: 0, maxCount: 0 }, desiredCount: 0 };
  switch (trigger) {
    case 'INSTANCE_SCALED':
      return { action: 'apply', ...target, desiredCount: state.desiredCount };
    case 'INSTANCE_SUSPENDED':
    case 'INSTANCE_RESUMED':
      return restore(target, state);
    case 'INSTANCE_WORKFLOW_SUCCEEDED':
    case 'INSTANCE_RESOURCES_RECORDED':
      // A sync at the head: the folder just applied may have said 0/0 (a suspension's, committed before a resume).
      if (state.change.kind === 'sync') return restore(target, state);
      return { action: 'none', why: 'not suspended: Terraform applied the counts' };
    default:
      return trigger satisfies never;
  }
}

/** The tier's bounds, then the platform's desired count. */
function restore(target: { serviceArn: string; environment: InstanceEnvironment }, state: Live): ControlPlan {
  const { minCount, maxCount } = state.tier;
  return { action: 'apply', ...target, bounds: { minCount, maxCount }, desiredCount: state.desiredCount };
}

/** Applies a plan, skipping what the service already has (a repeat costs two reads, no write). */
export async function applyPlan(
  ports: EcsControlPorts,
  plan: Extract<ControlPlan, { action: 'apply' }>,
  logger: Logger,
): Promise<void> {
  const { serviceArn, bounds, desiredCount } = plan;
  const service = await ports.services.describe(serviceArn);
  if (!service) {
    logger.warn('service not found: nothing to control', { serviceArn });
    return;
  }
  if (bounds) {
    const now = await ports.targets.describe(serviceArn);
    if (now?.minCount !== bounds.minCount || now.maxCount !== bounds.maxCount)
      await ports.targets.register(serviceArn, bounds);
  }
  // Read again after the bounds: autoscaling may have moved the count into them already.
  const current = bounds ? await ports.services.describe(serviceArn) : service;
  if (current?.desiredCount !== desiredCount) await ports.services.setDesiredCount(serviceArn, desiredCount);
  logger.info('service controlled', { serviceArn, ...bounds, desiredCount });
}

/** Writes checked against a moving head before the message is failed (and retried later). */
const MAX_ROUNDS = 5;

export interface EcsControlDependencies {
  store: Pick<EventStore, 'load'>;
  /** The ports of a workload environment (its account, through its role). */
  ecs: (environment: InstanceEnvironment) => EcsControlPorts;
  /** The named service of a tenant whose service was never recorded (no cluster known: no fallback). */
  namedService?: NamedService;
}

/** The consumer of the instance events that change what the service should run. */
export function ecsControl(deps: () => EcsControlDependencies) {
  return {
    name: 'ecsControl',
    // Acting on the head is idempotent and order-free: a repeat costs reads, never a wrong write.
    deduplicate: false,
    events,
    async handle(event, { logger }) {
      const { store, ecs, namedService } = deps();
      const load = () => store.load(event.streamId, loadOptionsOf(instanceDecider));
      // Two handlers of one instance may run at once (a standard queue): one that loaded an older head could
      // write after the other. So each write is checked: what the head says after it must still be what was
      // written, else it is planned and written again (docs/architecture.md, "Order and repeats are harmless").
      // Events that do not change the plan (ECS facts, the provisioner's steps) are no reason to write again.
      let plan = controlPlan(event.type, stateOf(instanceDecider, await load()), namedService);
      for (let round = 1; ; round++) {
        if (plan.action === 'none') return logger.info('nothing to control', { why: plan.why });
        await applyPlan(ecs(plan.environment), plan, logger);
        const after = await load();
        const next = controlPlan(event.type, stateOf(instanceDecider, after), namedService);
        if (JSON.stringify(next) === JSON.stringify(plan)) return;
        if (round >= MAX_ROUNDS) throw new Error(`instance ${event.streamId} kept moving while controlled`);
        logger.info('the instance moved while it was controlled: planned again', { version: after.version });
        plan = next;
      }
    },
  } satisfies Consumer<typeof events>;
}
