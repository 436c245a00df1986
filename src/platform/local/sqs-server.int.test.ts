import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { disconnectMidRequest, unhandledDuring } from '#test/broken-clients.js';
import { freePort } from './ports.js';
import { LocalSqs } from './sqs-server.js';

let server: LocalSqs;
let sqs: SQSClient;
let endpoint: string;
let n = 0;

beforeAll(async () => {
  server = new LocalSqs();
  endpoint = await server.listen(await freePort());
  sqs = new SQSClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.close();
});

async function queue(fifo: boolean, attributes: Record<string, string> = {}) {
  const name = `q${++n}${fifo ? '.fifo' : ''}`;
  const fifoAttributes: Record<string, string> = fifo
    ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' }
    : {};
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `dlq-${name}`, Attributes: fifoAttributes }),
  );
  const dlqUrl = dlq.QueueUrl ?? '';
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }),
        ...attributes,
      },
    }),
  );
  return { url: created.QueueUrl ?? '', dlqUrl, dlqArn: Attributes?.QueueArn ?? '' };
}

const receive = async (url: string, max = 10) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        MessageSystemAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];
const depth = async (url: string) =>
  Number(
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );
const send = (url: string, body: string, group?: string) =>
  sqs.send(
    new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...(group ? { MessageGroupId: group } : {}) }),
  );

describe('the local SQS server', () => {
  it('FIFO: holds back a group while one of its messages is in flight, in order, other groups flowing', async () => {
    const { url } = await queue(true);
    for (const body of ['a1', 'a2', 'b1']) await send(url, body, body.charAt(0));
    const first = await receive(url, 1);
    expect(first.map((m) => m.Body)).toEqual(['a1']);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['b1']); // a2 waits for a1
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]?.ReceiptHandle }));
    const next = await receive(url);
    expect(next.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['a2', 'a']]);
  });

  it('FIFO: content-based deduplication drops a same-body message; no deduplication id at all is refused', async () => {
    const { url } = await queue(true);
    const one = await send(url, 'same', 'g');
    const two = await send(url, 'same', 'g');
    expect(two.MessageId).toBe(one.MessageId);
    expect(await depth(url)).toBe(1);
    const bare = await sqs.send(
      new CreateQueueCommand({ QueueName: `bare${++n}.fifo`, Attributes: { FifoQueue: 'true' } }),
    );
    await expect(send(bare.QueueUrl ?? '', 'x', 'g')).rejects.toThrow(/ContentBasedDeduplication/);
  });

  it('redrives a message received maxReceiveCount times to the DLQ, and a move task brings it back', async () => {
    const { url, dlqUrl, dlqArn } = await queue(true);
    await send(url, 'poison', 'g');
    for (let receipt = 1; receipt <= 2; receipt++) {
      const [message] = await receive(url);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(receipt));
      await new Promise((resolve) => setTimeout(resolve, 1_050)); // not deleted: visible again after 1 s
    }
    expect(await receive(url)).toEqual([]);
    expect(await depth(dlqUrl)).toBe(1);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(Results?.[0]).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    expect((await receive(url)).map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ['poison', '1'],
    ]);
  });

  it('refuses a standard dead-letter queue for a FIFO queue', async () => {
    const standard = await sqs.send(new CreateQueueCommand({ QueueName: `std${++n}` }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: standard.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await expect(
      sqs.send(
        new CreateQueueCommand({
          QueueName: `mixed${n}.fifo`,
          Attributes: {
            FifoQueue: 'true',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 5 }),
          },
        }),
      ),
    ).rejects.toThrow(/FIFO/);
  });
});

describe('local SQS: long polling', () => {
  /** A ReceiveMessage with WaitTimeSeconds, answered when `until` is, and how long after starting it came back. */
  const longPoll = async (url: string, seconds = 5) => {
    const started = Date.now();
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: seconds, MaxNumberOfMessages: 10 }),
    );
    return { bodies: Messages.map((m) => m.Body), ms: Date.now() - started };
  };

  it('answers a waiting poll when a message is sent, not at its deadline', async () => {
    const { url } = await queue(false);
    const poll = longPoll(url);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await send(url, 'woken');
    const { bodies, ms } = await poll;
    expect(bodies).toEqual(['woken']);
    expect(ms).toBeLessThan(2_000);
  });

  it('answers when a received message becomes visible again at the end of its visibility timeout', async () => {
    const { url } = await queue(false, { VisibilityTimeout: '1' });
    await send(url, 'retried');
    expect((await receive(url)).map((m) => m.Body)).toEqual(['retried']);
    // in flight for 1 s, within the 5 s wait
    const again = await longPoll(url);
    expect(again.bodies).toEqual(['retried']);
    expect(again.ms).toBeLessThan(2_500);
  });

  it("answers a FIFO group's next message once the one in flight is deleted", async () => {
    const { url } = await queue(true, { VisibilityTimeout: '30' });
    await send(url, 'g1-first', 'g1');
    const [first] = await receive(url, 1);
    await send(url, 'g1-second', 'g1');
    const poll = longPoll(url);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    const { bodies, ms } = await poll;
    expect(bodies).toEqual(['g1-second']);
    expect(ms).toBeLessThan(2_000);
  });

  it('does not poll the queue while it waits: each wait ends on an event or a deadline', async () => {
    const { url } = await queue(false);
    const name = url.split('/').at(-1) ?? '';
    const local = server.queue(name);
    if (!local) throw new Error(`no queue ${name}`);
    const receives = vi.spyOn(local, 'receive');
    try {
      expect((await longPoll(url, 1)).bodies).toEqual([]);
      // one look when the poll arrives, one at its deadline (a loop on a 10 ms timer looked about 100 times)
      expect(receives.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      receives.mockRestore();
    }
  });

  it('answers with nothing at WaitTimeSeconds, and a poll whose client left stops waiting', async () => {
    const { url } = await queue(false);
    const empty = await longPoll(url, 1);
    expect(empty.bodies).toEqual([]);
    expect(empty.ms).toBeGreaterThanOrEqual(950);
    const abort = new AbortController();
    const left = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), {
      abortSignal: abort.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await expect(left).rejects.toThrow();
    // once the server has seen the connection close, the abandoned poll takes nothing
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send(url, 'kept');
    expect((await receive(url)).map((m) => m.Body)).toEqual(['kept']);
  });

  it('changing a message to visible (0 s) wakes a waiting poll', async () => {
    const { url } = await queue(false, { VisibilityTimeout: '30' });
    await send(url, 'again');
    const [taken] = await receive(url);
    const poll = longPoll(url);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: taken?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const { bodies, ms } = await poll;
    expect(bodies).toEqual(['again']);
    expect(ms).toBeLessThan(2_000);
  });
});

describe('local SQS: no request ends the process', () => {
  it('a client that disconnects while sending its request', async () => {
    const unhandled = await unhandledDuring(() => disconnectMidRequest(endpoint, 'AmazonSQS.ListQueues'));
    expect(unhandled).toEqual([]);
    expect(
      (await sqs.send(new CreateQueueCommand({ QueueName: 'after-a-broken-client' }))).QueueUrl,
    ).toBeDefined();
  });
});
