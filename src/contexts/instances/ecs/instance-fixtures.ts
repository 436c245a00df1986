import { ulid } from 'ulid';
import { planOf } from '#src/contexts/plans/index.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import { instanceStream } from '../domain/instance.stream.js';
import { serviceName } from '../terraform/naming.js';

// Tests only: an instance brought through the decider's own commands to a running workflow, or on to ACTIVE (the
// provisioner's reports and a steady ECS fact) with its service recorded, as the provisioner would leave it.

export const serviceArnOf = (environment: InstanceEnvironment, tenantId: string, account = '000000000000') =>
  `arn:aws:ecs:af-south-1:${account}:service/bbws-${environment}/${serviceName(environment, tenantId)}`;

/** Each fixture instance its own ALB slot (a test's instances share an environment's `alb:` reservations). */
let slots = 0;

export interface ActiveInstance {
  instanceId: string;
  streamId: string;
  tenantId: string;
  serviceArn: string;
}

export interface RunningInstance extends ActiveInstance {
  /** Runs a further command on the instance's stream (metadata of the tenant). */
  run: (command: InstanceCommand) => Promise<unknown>;
}

/** What a fixture instance may be given; the rest is made up (a new tenant, dev, the business plan). */
interface InstanceOptions {
  tenantId?: string;
  environment?: InstanceEnvironment;
  planId?: string;
  serviceArn?: string;
}

/** An instance whose change 1 runs as run 7 (committed with the tier's counts): the provisioner mid-deployment. */
export async function runningInstance(
  runner: Pick<CommandRunner, 'run'>,
  options: InstanceOptions = {},
): Promise<RunningInstance> {
  const tenantId = options.tenantId ?? ulid();
  const environment = options.environment ?? 'dev';
  const instanceId = ulid();
  const streamId = instanceStream.id(instanceId);
  const serviceArn = options.serviceArn ?? serviceArnOf(environment, tenantId);
  const { planId, version, tier, environments } = planOf(options.planId ?? 'business');
  const run = (command: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
  const runRef = { runId: 7, runUrl: 'https://github.com/bbws-local/env/actions/runs/7' };
  for (const command of [
    {
      type: 'RequestProvisioning',
      instanceId,
      tenantId,
      environment,
      tenantEnvironment: 'prod',
      plan: { planId, version, tier, environments },
      albSlot: { alb: 1, priority: 1 + 4 * slots++ },
    },
    { type: 'RecordCommit', change: 1, commitSha: 'b'.repeat(40), changed: true },
    { type: 'RecordWorkflowQueued', change: 1, ...runRef },
    { type: 'RecordWorkflowRunning', change: 1, ...runRef },
  ] satisfies InstanceCommand[])
    await run(command);
  return { instanceId, streamId, tenantId, serviceArn, run };
}

/** A running instance whose workflow succeeded, its resources recorded (unless not asked) and ECS steady. */
export async function activeInstance(
  runner: Pick<CommandRunner, 'run'>,
  options: InstanceOptions & {
    /** When ECS said steady (ECS's clock): a real service's earlier events must not be newer. */
    steadyAt?: string;
    /** false: the workflow succeeded, its resources not recorded yet. */
    withResources?: boolean;
  } = {},
): Promise<ActiveInstance> {
  const { instanceId, streamId, tenantId, serviceArn, run } = await runningInstance(runner, options);
  for (const command of [
    { type: 'RecordWorkflowOutcome', change: 1, runId: 7, outcome: 'succeeded', conclusion: 'success' },
    ...(options.withResources === false
      ? []
      : [{ type: 'RecordResources', change: 1, resources: { serviceArn } } as const]),
    {
      type: 'RecordEcsEvent',
      fact: {
        ecsEventId: `fixture-${instanceId}`,
        detailType: 'ECS Service Action',
        eventName: 'SERVICE_STEADY_STATE',
        eventType: 'INFO',
        at: options.steadyAt ?? '2026-01-01T00:00:00.000Z',
        serviceArn,
      },
    },
  ] satisfies InstanceCommand[]) {
    await run(command);
  }
  return { instanceId, streamId, tenantId, serviceArn };
}
