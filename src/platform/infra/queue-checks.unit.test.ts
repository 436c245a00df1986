import { describe, expect, it } from 'vitest';
import { app } from './app.js';
import type { FunctionDefinition, QueueDefinition } from './definitions.js';
import { queueWiringProblems } from './queue-checks.js';

const fifo: QueueDefinition = { baseName: 'q', fifo: true, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 };
const consumer = (batchSize: number, timeoutSeconds?: number): FunctionDefinition => ({
  name: 'consumer',
  handler: 'src/x.handler',
  description: 'x',
  ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  triggers: [{ kind: 'sqs', queue: 'Q', batchSize }],
  permissions: [],
});
const pattern = { source: ['bbws.test'] };

describe('queue wiring checks (before anything is packaged)', () => {
  it("the application's own wiring passes", () => {
    expect(queueWiringProblems(app)).toEqual([]);
  });

  it('refuses what AWS refuses or advises against', () => {
    const problems = queueWiringProblems({
      queues: { Q: fifo, S: { baseName: 's', visibilityTimeoutSeconds: 30 } },
      rules: {
        NoGroup: { bus: 'platform', description: '', pattern, queue: 'Q' },
        GroupOnStandard: { bus: 'platform', description: '', pattern, queue: 'S', messageGroupId: 'g' },
      },
      functions: [consumer(11, 20), { ...consumer(10), name: 'noTimeout' }],
    });
    expect(problems).toEqual([
      'rule NoGroup: FIFO queue Q needs messageGroupId',
      'rule GroupOnStandard: messageGroupId needs a FIFO queue',
      'function consumer <- Q: a FIFO queue takes batchSize 1..10',
      'function consumer <- Q: visibilityTimeoutSeconds must be at least 6 x the function timeout (120)',
      'function noTimeout <- Q: an SQS consumer must state timeoutSeconds',
    ]);
  });
});
