import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import { loadConfig } from '#src/platform/config/config.js';
import { app } from '#src/platform/infra/app.js';
import {
  deadLetterName,
  queueName,
  RULE_TARGETS_DEAD_LETTER,
  ruleTargetsDeadLetterName,
} from '#src/platform/infra/cloudformation.js';
import type { QueueDefinition } from '#src/platform/infra/definitions.js';
import { type CommandSpec, UsageError } from './usage.js';

/** `queues status` and `queues redrive <queue>` (register both in usage.ts's COMMANDS and the `queues` group). */
export const QUEUE_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'queues status',
    positionals: [],
    options: {},
    summary: 'per consumer queue: messages waiting, in flight, and in its dead-letter queue',
    details: 'A message in a dead-letter queue failed maxReceiveCount times: see docs/operations.md.',
  },
  {
    name: 'queues redrive',
    positionals: [{ name: 'queue' }],
    options: {},
    summary: "move a queue's dead-lettered messages back to it (after a fix), oldest first",
    details: `<queue> is the logical id (IdentitySyncQueue) or the base name (bbws-identity-sync). Uses SQS's own
redrive (StartMessageMoveTask) and waits for it; the consumer deduplicates by eventId, so re-driving a message
that was in fact handled does nothing twice.`,
  },
];

export interface QueueCliDependencies {
  sqs: SQSClient;
  stage: string;
  out: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** The CLI's SQS: the local runtime's (`npm start` serves it on 9324, or SQS_ENDPOINT) or the stage's in AWS. */
export function queueCliDependencies(): QueueCliDependencies {
  const config = loadConfig();
  const endpoint = config.SQS_ENDPOINT ?? (config.STAGE === 'local' ? 'http://127.0.0.1:9324' : undefined);
  return {
    sqs: new SQSClient({
      region: config.AWS_REGION,
      requestHandler: requestHandler('sqs', { local: endpoint !== undefined }),
      ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    }),
    stage: config.STAGE,
    out: (line) => console.log(line),
  };
}

export async function runQueueCommand(
  name: string,
  positionals: readonly string[],
  deps: QueueCliDependencies,
  help: string,
): Promise<number> {
  if (name === 'queues status') return status(deps);
  if (name === 'queues redrive') return redrive(deps, declared(positionals[0] ?? '', help));
  throw new UsageError(`no runner for ${name}`, help);
}

/** Queues with a dead-letter queue: the ones a consumer reads. */
const consumerQueues = () => Object.entries(app.queues).filter(([, q]) => q.maxReceiveCount !== undefined);

function declared(name: string, help: string): [string, QueueDefinition] {
  const found = consumerQueues().find(([id, q]) => id === name || q.baseName === name);
  if (!found) {
    const known = consumerQueues().map(([id]) => id);
    throw new UsageError(`no consumer queue "${name}" (queues with a DLQ: ${known.join(', ')})`, help);
  }
  return found;
}

async function attributes(deps: QueueCliDependencies, name: string) {
  const { QueueUrl } = await deps.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes = {} } = await deps.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
  );
  return Attributes;
}

async function status(deps: QueueCliDependencies): Promise<number> {
  for (const [id, queue] of consumerQueues()) {
    const main = await attributes(deps, queueName(queue, deps.stage));
    const dlq = await attributes(deps, deadLetterName(queue, deps.stage));
    deps.out(
      `${id.padEnd(24)} waiting ${main.ApproximateNumberOfMessages}  in flight ${main.ApproximateNumberOfMessagesNotVisible}  dead letters ${dlq.ApproximateNumberOfMessages}`,
    );
  }
  if (Object.keys(app.rules).length > 0) {
    const undelivered = await attributes(deps, ruleTargetsDeadLetterName(deps.stage));
    deps.out(
      `${RULE_TARGETS_DEAD_LETTER.padEnd(24)} dead letters ${undelivered.ApproximateNumberOfMessages}  (events EventBridge could not deliver to a rule's target)`,
    );
  }
  return 0;
}

/** StartMessageMoveTask from the DLQ back to its source queue, then waits for the task to finish. */
async function redrive(deps: QueueCliDependencies, [id, queue]: [string, QueueDefinition]): Promise<number> {
  const dlqName = deadLetterName(queue, deps.stage);
  const sourceArn = (await attributes(deps, dlqName)).QueueArn;
  await deps.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn }));
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const { Results = [] } = await deps.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
    const task = Results[0];
    if (task && task.Status !== 'RUNNING') {
      deps.out(
        `${id}: ${task.Status?.toLowerCase()}, ${task.ApproximateNumberOfMessagesMoved ?? 0} messages moved from ${dlqName} back to ${queueName(queue, deps.stage)}${task.FailureReason ? ` (${task.FailureReason})` : ''}`,
      );
      return task.Status === 'COMPLETED' ? 0 : 1;
    }
    await sleep(1000);
  }
}
