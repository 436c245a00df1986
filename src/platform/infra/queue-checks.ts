import type {
  FunctionDefinition,
  QueueDefinition,
  QueueRuleDefinition,
  RuleDefinition,
  SqsTrigger,
} from './definitions.js';

/** The queue settings and limits AWS imposes on rules and SQS mappings, checked before anything is packaged. */
export interface QueueWiring {
  queues: Readonly<Record<string, QueueDefinition>>;
  rules: Readonly<Record<string, RuleDefinition>>;
  functions: readonly FunctionDefinition[];
}

/** Every problem found (empty: the wiring is one AWS accepts and the platform's rules hold). */
export function queueWiringProblems(wiring: QueueWiring): string[] {
  return [
    ...Object.entries(wiring.rules).flatMap(([id, rule]) =>
      'queue' in rule
        ? ruleProblems(id, rule, wiring.queues[rule.queue])
        : rule.targetBus === rule.bus
          ? [`rule ${id}: forwards to the bus it is on`]
          : [],
    ),
    ...wiring.functions.flatMap((fn) =>
      (fn.triggers ?? [])
        .filter((t): t is SqsTrigger => t.kind === 'sqs')
        .flatMap((trigger) => mappingProblems(fn, trigger, wiring.queues[trigger.queue])),
    ),
  ];
}

function ruleProblems(id: string, rule: QueueRuleDefinition, queue: QueueDefinition | undefined): string[] {
  if (!queue) return [`rule ${id}: no queue ${rule.queue}`];
  // A FIFO target needs a group id (EventBridge's is a fixed string) and content-based deduplication, which
  // cloudFormationQueue always turns on for FIFO queues; a standard queue takes no group id.
  if (queue.fifo && !rule.messageGroupId)
    return [`rule ${id}: FIFO queue ${rule.queue} needs messageGroupId`];
  if (!queue.fifo && rule.messageGroupId) return [`rule ${id}: messageGroupId needs a FIFO queue`];
  return [];
}

function mappingProblems(
  fn: FunctionDefinition,
  trigger: SqsTrigger,
  queue: QueueDefinition | undefined,
): string[] {
  const at = `function ${fn.name} <- ${trigger.queue}`;
  if (!queue) return [`${at}: no such queue`];
  const problems: string[] = [];
  if (queue.fifo && trigger.batchSize > 10) problems.push(`${at}: a FIFO queue takes batchSize 1..10`);
  if (queue.fifo && trigger.maximumBatchingWindowSeconds !== undefined)
    problems.push(`${at}: FIFO queues do not support a batching window`);
  if (!queue.fifo && trigger.batchSize > 10 && !trigger.maximumBatchingWindowSeconds)
    problems.push(`${at}: batchSize over 10 needs maximumBatchingWindowSeconds >= 1`);
  if (fn.timeoutSeconds === undefined) problems.push(`${at}: an SQS consumer must state timeoutSeconds`);
  // AWS refuses a visibility timeout below the function timeout, and advises six times it: a slow batch must not
  // become visible (and run twice) while it is still being handled.
  else if ((queue.visibilityTimeoutSeconds ?? 30) < 6 * fn.timeoutSeconds)
    problems.push(
      `${at}: visibilityTimeoutSeconds must be at least 6 x the function timeout (${6 * fn.timeoutSeconds})`,
    );
  if (queue.maxReceiveCount === undefined) problems.push(`${at}: the queue needs maxReceiveCount (a DLQ)`);
  return problems;
}
