import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '#test/runtime.js';
import { freePort } from './ports.js';
import { type SqsMappingOptions, SqsPoller } from './sqs-poller.js';
import { LocalSqs } from './sqs-server.js';

let server: LocalSqs;
let sqs: SQSClient;
let n = 0;
const pollers: SqsPoller[] = [];

beforeAll(async () => {
  server = new LocalSqs();
  const endpoint = await server.listen(await freePort());
  sqs = new SQSClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  sqs?.destroy();
  await server?.close();
});

const arnOf = async (url: string) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
    ?.QueueArn ?? '';

/** A queue (1 s visibility timeout) with a DLQ after `maxReceiveCount` receives. */
async function queue(fifo: boolean, maxReceiveCount = 5) {
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo
    ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' }
    : {};
  const dlqUrl =
    (
      await sqs.send(
        new CreateQueueCommand({ QueueName: `p${++n}-dlq${suffix}`, Attributes: fifoAttributes }),
      )
    ).QueueUrl ?? '';
  const url =
    (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `p${n}${suffix}`,
          Attributes: {
            ...fifoAttributes,
            VisibilityTimeout: '1',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount }),
          },
        }),
      )
    ).QueueUrl ?? '';
  return { url, arn: await arnOf(url), dlqUrl };
}

const depth = async (url: string) =>
  Number(
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );

function poll(
  q: { url: string; arn: string },
  invoke: (event: SQSEvent) => Promise<unknown>,
  settings: Partial<SqsMappingOptions> = {},
) {
  const poller = new SqsPoller(sqs, {
    queueUrl: q.url,
    queueArn: q.arn,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    invoke: (event) => invoke(event as SQSEvent),
    ...settings,
  });
  pollers.push(poller);
  poller.start();
  return poller;
}

/**
 * A FIFO handler as AWS requires one: in order, stopping a group at its first failure (it fails `failOnce` the
 * first time); records whether two invocations ever worked on one group at the same time.
 */
function fifoHandler(failOnce: string) {
  const handled: string[] = [];
  const busy = new Set<string>();
  let overlapped = false;
  let failed = false;
  const one = async (record: SQSEvent['Records'][number], stopped: Set<string>): Promise<boolean> => {
    const group = record.attributes.MessageGroupId ?? '';
    if (busy.has(group)) overlapped = true;
    if (stopped.has(group)) return false;
    busy.add(group);
    await new Promise((resolve) => setTimeout(resolve, 20));
    busy.delete(group);
    if (record.body === failOnce && !failed) {
      failed = true;
      return false;
    }
    handled.push(record.body);
    return true;
  };
  const invoke = async (event: SQSEvent) => {
    const failures: string[] = [];
    const stopped = new Set<string>();
    for (const record of event.Records) {
      if (await one(record, stopped)) continue;
      stopped.add(record.attributes.MessageGroupId ?? '');
      failures.push(record.messageId);
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
  return { handled, invoke, overlapped: () => overlapped };
}

describe('SQS event source mapping (local) with Lambda semantics', () => {
  it('a message that keeps failing is received maxReceiveCount times, then lands in the DLQ', async () => {
    const q = await queue(false, 3);
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'poison' }));
    const receives: string[] = [];
    poll(q, async (event) => {
      receives.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
      throw new Error('always fails');
    });
    await eventually(async () => expect(await depth(q.dlqUrl)).toBe(1), 15_000);
    expect(receives).toEqual(['1', '2', '3']);
  });

  it('a partial batch failure redelivers only the failed message, after the visibility timeout', async () => {
    const q = await queue(false);
    for (const body of ['m1', 'm2', 'm3', 'm4'])
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
    const seen: string[] = [];
    const started = Date.now();
    let retriedAfterMs = 0;
    const poller = poll(
      q,
      async (event) => {
        const failures = event.Records.filter(
          (r) => r.body === 'm3' && r.attributes.ApproximateReceiveCount === '1',
        );
        seen.push(...event.Records.map((r) => r.body));
        if (event.Records.some((r) => r.body === 'm3' && r.attributes.ApproximateReceiveCount === '2'))
          retriedAfterMs = Date.now() - started;
        return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { concurrency: 1 },
    );
    await eventually(() => expect(seen.filter((b) => b === 'm3')).toHaveLength(2), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(seen.sort()).toEqual(['m1', 'm2', 'm3', 'm3', 'm4']);
    expect(retriedAfterMs).toBeGreaterThanOrEqual(900);
    expect(poller.invocations.flatMap((i) => i.failed)).toHaveLength(1);
    expect(await depth(q.url)).toBe(0);
  });

  it('an identifier that is not in the batch fails the whole batch', async () => {
    const q = await queue(false);
    for (const body of ['x1', 'x2'])
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
    const seen: string[] = [];
    let first = true;
    poll(
      q,
      async (event) => {
        seen.push(...event.Records.map((r) => r.body));
        const answer = first ? { batchItemFailures: [{ itemIdentifier: 'not-a-message' }] } : {};
        first = false;
        return answer;
      },
      { concurrency: 1 },
    );
    await eventually(() => expect(seen.sort()).toEqual(['x1', 'x1', 'x2', 'x2']), 10_000);
  });

  it('FIFO: each group in order and one batch at a time, across a failure and its redelivery', async () => {
    const q = await queue(true);
    const bodies = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4'];
    for (const body of bodies)
      await sqs.send(
        new SendMessageCommand({ QueueUrl: q.url, MessageBody: body, MessageGroupId: body.charAt(0) }),
      );
    const handler = fifoHandler('a2');
    poll(q, handler.invoke, { concurrency: 3, batchSize: 3 });
    const { handled } = handler;
    await eventually(() => expect(handled).toHaveLength(8), 15_000);
    expect(handled.filter((b) => b.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(handled.filter((b) => b.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(handler.overlapped()).toBe(false);
  });
});
