import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import type { LocalRule } from './eventbridge-server.js';
import type { LambdaHost } from './lambda-host.js';
import { freePort } from './ports.js';
import { type SqsMappingSettings, SqsPoller } from './sqs-poller.js';
import { LocalSqs } from './sqs-server.js';
import { type LocalQueueSpec, type LocalUndelivered, type LocalWiring, localQueueName } from './wiring.js';

export interface LocalSqsRuntime {
  endpoint: string;
  server: LocalSqs;
  client: SQSClient;
  /** logical id -> queue URL / ARN */
  queueUrls: Record<string, string>;
  queueArns: Record<string, string>;
  /** The template's rules with queue targets, for the local EventBridge: a match is sent to the queue. */
  rules: LocalRule[];
  /** Starts the functions' SQS mappings (once the handlers' environment is set). */
  startPollers(host: LambdaHost, options?: PollerOptions): { function: string; poller: SqsPoller }[];
  describe(): string[];
  stop(): Promise<void>;
}

export interface PollerOptions {
  log?: (line: string) => void;
  /** Drills and tests: settings replacing the packaged ones for a mapping. */
  settings?: (mapping: LocalWiring['sqs'][number]) => Partial<SqsMappingSettings>;
}

/**
 * The SQS side of the local runtime, from the packaged template: every queue with its attributes (FIFO,
 * content-based deduplication, visibility timeout, retention, redrive policy to its DLQ), the rules that deliver
 * to queues, and the functions' SQS event source mappings. Refuses, as AWS would, a FIFO rule target without
 * content-based deduplication and a mapping whose queue's visibility timeout is below the function's timeout.
 */
export async function startLocalSqs(
  wiring: LocalWiring,
  stage: string,
  port?: number,
): Promise<LocalSqsRuntime> {
  const problems = wiringProblems(wiring);
  if (problems.length > 0)
    throw new Error(`the template's queue wiring would fail in AWS:\n  ${problems.join('\n  ')}`);
  const server = new LocalSqs();
  const endpoint = await server.listen(port ?? (await freePort()));
  const client = new SQSClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: requestHandler('sqs', { local: true }),
  });
  const queueUrls: Record<string, string> = {};
  const queueArns: Record<string, string> = {};
  for (const [id, spec] of deadLettersFirst(wiring.queues)) {
    const redrive = spec.redrive;
    const out = await client.send(
      new CreateQueueCommand({
        QueueName: localQueueName(spec, stage),
        Attributes: queueAttributes(spec, redrive ? queueArns[redrive.deadLetterQueue] : undefined),
      }),
    );
    queueUrls[id] = out.QueueUrl ?? '';
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrls[id], AttributeNames: ['QueueArn'] }),
    );
    queueArns[id] = Attributes?.QueueArn ?? '';
  }
  const pollers: SqsPoller[] = [];
  const rules: LocalRule[] = wiring.queueRules.map((rule) => ({
    name: rule.name,
    bus: rule.bus === 'default' ? 'default' : `${wiring.buses[rule.bus] ?? rule.bus}-${stage}`,
    pattern: rule.pattern,
    // EventBridge sends the whole event as the message body; a FIFO queue gets the rule's fixed group id and
    // deduplicates by content (the event's own id makes two deliveries of one PutEvents entry equal).
    invoke: async (event) => {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrls[rule.queue],
          MessageBody: JSON.stringify(event),
          ...(rule.messageGroupId ? { MessageGroupId: rule.messageGroupId } : {}),
        }),
      );
    },
    ...(rule.undelivered ? { undelivered: undelivered(rule.undelivered, client, queueUrls) } : {}),
  }));
  return {
    endpoint,
    server,
    client,
    queueUrls,
    queueArns,
    rules,
    startPollers(host, options = {}) {
      return wiring.sqs.map((mapping) => {
        const poller = new SqsPoller(client, {
          queueUrl: queueUrls[mapping.queue] ?? '',
          queueArn: queueArns[mapping.queue] ?? '',
          batchSize: mapping.batchSize,
          maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          ...options.settings?.(mapping),
          invoke: host.invoker(mapping.function),
          ...(options.log ? { log: (line: string) => options.log?.(`${mapping.function}: ${line}`) } : {}),
        });
        // Lambda polls with the function's role (it needs ReceiveMessage, DeleteMessage, GetQueueAttributes).
        host.runAs(mapping.function, () => poller.start());
        pollers.push(poller);
        return { function: mapping.function, poller };
      });
    },
    describe: () => [
      `SQS API           ${endpoint}`,
      ...Object.entries(wiring.queues).map(
        ([id, q]) => `  queue           ${localQueueName(q, stage)} (${id})`,
      ),
      ...wiring.queueRules.map(
        (r) => `rule              ${r.name}: ${JSON.stringify(r.pattern)} -> ${r.queue}`,
      ),
      ...wiring.sqs.map((m) => `queue consumer    ${m.function} <- ${m.queue} (batch ${m.batchSize})`),
    ],
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      client.destroy();
      await server.close();
    },
  };
}

/**
 * The target's retry policy and dead-letter queue, as the local EventBridge runs them: the event as the message
 * body (AWS adds RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE as message attributes, which the local SQS
 * server does not keep: the error is in the runtime's log).
 */
function undelivered(
  policy: LocalUndelivered,
  client: SQSClient,
  queueUrls: Record<string, string>,
): NonNullable<LocalRule['undelivered']> {
  const dlq = policy.deadLetterQueue;
  const dlqUrl = dlq === undefined ? undefined : queueUrls[dlq];
  // A rule whose dead-letter queue the runtime has not created fails at start, not when its first event fails.
  if (dlq !== undefined && dlqUrl === undefined)
    throw new Error(`rule target dead-letter queue ${dlq} is not declared`);
  return {
    retries: policy.maximumRetryAttempts,
    maxAgeMs: policy.maximumEventAgeSeconds * 1000,
    ...(dlq
      ? {
          deadLetter: async (event: Record<string, unknown>) => {
            await client.send(
              new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(event) }),
            );
          },
        }
      : {}),
  };
}

function queueAttributes(spec: LocalQueueSpec, deadLetterArn: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (spec.fifo) attributes.FifoQueue = 'true';
  if (spec.contentBasedDeduplication) attributes.ContentBasedDeduplication = 'true';
  if (spec.visibilityTimeoutSeconds !== undefined)
    attributes.VisibilityTimeout = String(spec.visibilityTimeoutSeconds);
  if (spec.retentionSeconds !== undefined) attributes.MessageRetentionPeriod = String(spec.retentionSeconds);
  if (spec.redrive && deadLetterArn)
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: spec.redrive.maxReceiveCount,
    });
  return attributes;
}

/** A redrive policy names an existing queue: dead-letter queues are created first. */
function deadLettersFirst(queues: Record<string, LocalQueueSpec>): [string, LocalQueueSpec][] {
  const targets = new Set(
    Object.values(queues).flatMap((q) => (q.redrive ? [q.redrive.deadLetterQueue] : [])),
  );
  const entries = Object.entries(queues);
  return [...entries.filter(([id]) => targets.has(id)), ...entries.filter(([id]) => !targets.has(id))];
}

/** What AWS refuses when the rules and mappings are created (not only later, at delivery). */
export function wiringProblems(wiring: LocalWiring): string[] {
  return [
    ...wiring.queueRules.flatMap((r) => ruleProblems(wiring, r)),
    ...wiring.sqs.flatMap((m) => mappingProblems(wiring, m)),
  ];
}

function ruleProblems(wiring: LocalWiring, rule: LocalWiring['queueRules'][number]): string[] {
  const queue = wiring.queues[rule.queue];
  if (!queue?.fifo) return [];
  return [
    ...(queue.contentBasedDeduplication
      ? []
      : [`rule ${rule.name}: a FIFO target queue needs content-based deduplication`]),
    ...(rule.messageGroupId ? [] : [`rule ${rule.name}: a FIFO target needs a MessageGroupId`]),
  ];
}

function mappingProblems(wiring: LocalWiring, mapping: LocalWiring['sqs'][number]): string[] {
  const queue = wiring.queues[mapping.queue];
  const timeout = wiring.functions.find((f) => f.name === mapping.function)?.timeoutSeconds ?? 3;
  const at = `${mapping.function} <- ${mapping.queue}`;
  const problems: string[] = [];
  if ((queue?.visibilityTimeoutSeconds ?? 30) < timeout)
    problems.push(`${at}: the queue's visibility timeout is below the function timeout (${timeout} s)`);
  if (queue?.fifo && mapping.batchSize > 10) problems.push(`${at}: FIFO batch size is at most 10`);
  if (queue?.fifo && mapping.maximumBatchingWindowSeconds > 0)
    problems.push(`${at}: FIFO mappings take no batching window`);
  return problems;
}
