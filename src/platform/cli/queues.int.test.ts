import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import { deadLetterName, queueName, ruleTargetsDeadLetterName } from '#src/platform/infra/cloudformation.js';
import { freePort } from '#src/platform/local/ports.js';
import { LocalSqs } from '#src/platform/local/sqs-server.js';
import { runQueueCommand } from './queues.js';

const STAGE = 'clitest';
let server: LocalSqs;
let sqs: SQSClient;

beforeAll(async () => {
  server = new LocalSqs();
  const endpoint = await server.listen(await freePort());
  sqs = new SQSClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.close();
});

describe('npm run bbws -- queues', () => {
  it('redrive moves the dead letters of a consumer queue back to it; status shows where messages are', async () => {
    const definition = app.queues.IdentitySyncQueue;
    if (!definition) throw new Error('IdentitySyncQueue is not declared');
    const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'true' };
    // the other consumer queues of the stage, empty, as deployed (status lists every one)
    for (const queue of Object.values(app.queues)) {
      if (queue === definition || queue.maxReceiveCount === undefined) continue;
      const attributes = queue.fifo ? fifo : {};
      for (const name of [queueName(queue, STAGE), deadLetterName(queue, STAGE)])
        await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    }
    await sqs.send(new CreateQueueCommand({ QueueName: ruleTargetsDeadLetterName(STAGE) }));
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: deadLetterName(definition, STAGE), Attributes: fifo }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    // A visibility timeout of 1 s and one receive: the message fails into the DLQ within a second.
    const source = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName(definition, STAGE),
        Attributes: {
          ...fifo,
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 1 }),
        },
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: source.QueueUrl,
        MessageBody: '{"poison":true}',
        MessageGroupId: 'identity-sync',
      }),
    );
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.QueueUrl }));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.QueueUrl }))).Messages ?? []).toEqual(
      [],
    );

    const lines: string[] = [];
    const deps = { sqs, stage: STAGE, out: (line: string) => lines.push(line), sleep: async () => {} };
    expect(await runQueueCommand('queues status', [], deps, '')).toBe(0);
    const shown = lines.splice(0);
    expect(shown.map((line) => line.split(' ')[0])).toEqual([
      ...Object.entries(app.queues).flatMap(([id, q]) => (q.maxReceiveCount === undefined ? [] : [id])),
      'RuleTargetsDeadLetter',
    ]);
    // what EventBridge could not deliver to a rule's target: none here
    expect(shown.at(-1)).toMatch(/^RuleTargetsDeadLetter\s+dead letters 0 /);
    expect(shown.find((line) => line.startsWith('IdentitySyncQueue '))).toMatch(
      /IdentitySyncQueue\s+waiting 0 {2}in flight 0 {2}dead letters 1/,
    );
    expect(await runQueueCommand('queues redrive', ['bbws-identity-sync'], deps, '')).toBe(0);
    expect(lines.pop()).toBe(
      `IdentitySyncQueue: completed, 1 messages moved from bbws-identity-sync-dlq-${STAGE}.fifo back to bbws-identity-sync-${STAGE}.fifo`,
    );
    const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.QueueUrl }));
    expect(back.Messages?.map((m) => m.Body)).toEqual(['{"poison":true}']);
    await expect(runQueueCommand('queues redrive', ['NoSuchQueue'], deps, '')).rejects.toThrow(
      /IdentitySyncQueue/,
    );
  });
});
