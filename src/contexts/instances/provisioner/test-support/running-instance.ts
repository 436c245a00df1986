import { ulid } from 'ulid';
import { planOf } from '#src/contexts/plans/index.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { InstanceCommand } from '../../domain/instance.commands.js';
import { instanceDecider } from '../../domain/instance.decider.js';
import { instanceStream } from '../../domain/instance.stream.js';
import { serviceArnOf } from '../../ecs/instance-fixtures.js';

// Tests only: an instance brought through the decider's own commands to a running workflow.

let slots = 0;
/** An instance whose change 1 runs as run 7 (committed with the tier's counts, not suspended). */
export async function runningInstance(runner: CommandRunner, environment: 'dev' | 'prod' = 'prod') {
  const tenantId = ulid();
  const instanceId = ulid();
  const streamId = instanceStream.id(instanceId);
  const run = (command: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
  const { planId, version, tier, environments } = planOf('business');
  const runRef = { runId: 7, runUrl: 'https://github.com/o/prod-env/actions/runs/7' };
  for (const command of [
    {
      type: 'RequestProvisioning',
      instanceId,
      tenantId,
      environment,
      tenantEnvironment: 'prod',
      plan: { planId, version, tier, environments },
      albSlot: { alb: 2, priority: 1 + 4 * slots++ },
    },
    { type: 'RecordCommit', change: 1, commitSha: 'b'.repeat(40), changed: true, suspended: false },
    { type: 'RecordWorkflowQueued', change: 1, ...runRef },
    { type: 'RecordWorkflowRunning', change: 1, ...runRef },
  ] satisfies InstanceCommand[])
    await run(command);
  return { tenantId, instanceId, streamId, serviceArn: serviceArnOf(environment, tenantId), run };
}
