import { describe, expect, it } from 'vitest';
import { wiringProblems } from './sqs-runtime.js';
import type { LocalWiring } from './wiring.js';

const wiring = (overrides: Partial<LocalWiring>): LocalWiring => ({
  functions: [{ name: 'sync', module: 'x.ts', exportName: 'handler', environment: {}, timeoutSeconds: 10 }],
  streams: [],
  routes: [],
  rules: [],
  queueRules: [],
  busRules: [],
  sqs: [],
  queues: {},
  buses: {},
  environment: {},
  ...overrides,
});

describe('the local runtime refuses queue wiring AWS refuses', () => {
  it('a FIFO rule target without content-based deduplication, a visibility timeout below the function timeout', () => {
    const problems = wiringProblems(
      wiring({
        queues: {
          Q: { baseName: 'q', fifo: true, contentBasedDeduplication: false, visibilityTimeoutSeconds: 5 },
        },
        queueRules: [{ name: 'R', bus: 'EventBus', pattern: {}, queue: 'Q', messageGroupId: 'g' }],
        sqs: [
          {
            function: 'sync',
            queue: 'Q',
            batchSize: 20,
            maximumBatchingWindowSeconds: 1,
            reportBatchItemFailures: true,
          },
        ],
      }),
    );
    expect(problems).toEqual([
      'rule R: a FIFO target queue needs content-based deduplication',
      "sync <- Q: the queue's visibility timeout is below the function timeout (10 s)",
      'sync <- Q: FIFO batch size is at most 10',
      'sync <- Q: FIFO mappings take no batching window',
    ]);
  });
});
