import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { disconnectMidRequest, unhandledDuring } from '#test/broken-clients.js';
import { freePort } from './ports.js';
import type { LocalQueue } from './sqs-queue.js';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fifoAttributes = { FifoQueue: 'true', ContentBasedDeduplication: 'true' };

async function create(name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const local = server.queue(name);
  if (!local) throw new Error(`no queue ${name}`);
  return { url: QueueUrl, arn: Attributes?.QueueArn ?? '', local };
}

/** A ReceiveMessage (long poll when `seconds` > 0): the bodies, and when it answered (ms after `since`). */
const poll = async (
  url: string,
  seconds: number,
  since = Date.now(),
  max = 10,
  abortSignal?: AbortSignal,
) => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: seconds, MaxNumberOfMessages: max }),
    abortSignal ? { abortSignal } : {},
  );
  return { bodies: Messages.map((m) => m.Body), at: Date.now() - since };
};

const waiters = (queue: LocalQueue) => (queue as unknown as { waiting: Set<unknown> }).waiting.size;

describe('local SQS: long polling', () => {
  it('answers a waiting poll when a message is sent, not at its deadline', async () => {
    const { url } = await queue(false);
    const waiting = poll(url, 5);
    await sleep(150);
    await send(url, 'woken');
    const { bodies, at } = await waiting;
    expect(bodies).toEqual(['woken']);
    expect(at).toBeLessThan(2_000);
  });

  it('answers when a received message becomes visible again at the end of its visibility timeout', async () => {
    const { url } = await queue(false, { VisibilityTimeout: '1' });
    await send(url, 'retried');
    expect((await receive(url)).map((m) => m.Body)).toEqual(['retried']);
    // in flight for 1 s, within the 5 s wait
    const again = await poll(url, 5);
    expect(again.bodies).toEqual(['retried']);
    expect(again.at).toBeLessThan(2_500);
  });

  it("answers a FIFO group's next message once the one in flight is deleted", async () => {
    const { url } = await queue(true, { VisibilityTimeout: '30' });
    await send(url, 'g1-first', 'g1');
    const [first] = await receive(url, 1);
    await send(url, 'g1-second', 'g1');
    const waiting = poll(url, 5);
    await sleep(150);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    const { bodies, at } = await waiting;
    expect(bodies).toEqual(['g1-second']);
    expect(at).toBeLessThan(2_000);
  });

  it('does not poll the queue while it waits: each wait ends on an event or a deadline', async () => {
    const { url } = await queue(false);
    const name = url.split('/').at(-1) ?? '';
    const local = server.queue(name);
    if (!local) throw new Error(`no queue ${name}`);
    const receives = vi.spyOn(local, 'receive');
    try {
      expect((await poll(url, 1)).bodies).toEqual([]);
      // one look when the poll arrives, one at its deadline (a loop on a 10 ms timer looked about 100 times)
      expect(receives.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      receives.mockRestore();
    }
  });

  it('answers with nothing at WaitTimeSeconds, and a poll whose client left stops waiting', async () => {
    const { url } = await queue(false);
    const empty = await poll(url, 1);
    expect(empty.bodies).toEqual([]);
    expect(empty.at).toBeGreaterThanOrEqual(950);
    const abort = new AbortController();
    const left = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), {
      abortSignal: abort.signal,
    });
    await sleep(100);
    abort.abort();
    await expect(left).rejects.toThrow();
    // once the server has seen the connection close, the abandoned poll takes nothing
    await sleep(200);
    await send(url, 'kept');
    expect((await receive(url)).map((m) => m.Body)).toEqual(['kept']);
  });

  it('changing a message to visible (0 s) wakes a waiting poll', async () => {
    const { url } = await queue(false, { VisibilityTimeout: '30' });
    await send(url, 'again');
    const [taken] = await receive(url);
    const waiting = poll(url, 5);
    await sleep(150);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: taken?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const { bodies, at } = await waiting;
    expect(bodies).toEqual(['again']);
    expect(at).toBeLessThan(2_000);
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

describe('local SQS long polling: what the review of 8f9301a reproduced', () => {
  it('a poll whose client left takes no message that becomes receivable after it left', async () => {
    // FIFO group g is unlocked when its in-flight message reaches the end of its retention (1 s). The client
    // leaves before that: the server's loop looks at `gone` before it receives again, so nothing is taken for a
    // client that is gone (it would be in flight for 30 s and its receive count spent).
    const { url, local } = await create(`ret${++n}.fifo`, {
      ...fifoAttributes,
      VisibilityTimeout: '30',
      MessageRetentionPeriod: '1',
    });
    const t0 = Date.now();
    await send(url, 'first', 'g');
    expect((await poll(url, 0)).bodies).toEqual(['first']); // in flight 30 s, expires (retention) at t0 + 1 s
    const gone = new AbortController();
    const left = poll(url, 5, t0, 10, gone.signal).catch(() => 'aborted');
    await sleep(400 - (Date.now() - t0));
    await send(url, 'second', 'g'); // wakes the poll: g still locked, it waits again
    await sleep(700 - (Date.now() - t0));
    gone.abort();
    expect(await left).toBe('aborted');
    await sleep(600); // 'first' has expired: 'second' is receivable, and nobody took it
    expect(local.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect((await poll(url, 0)).bodies).toEqual(['second']);
  });

  it('a FIFO group unlocked by retention expiry of its in-flight message answers a waiting poll then', async () => {
    // The wait's timer covers visibleAt, not sentAt + retention: the poll answers at its next 1 s tick instead.
    const { url } = await create(`ret${++n}.fifo`, {
      ...fifoAttributes,
      VisibilityTimeout: '30',
      MessageRetentionPeriod: '2',
    });
    const t0 = Date.now();
    await send(url, 'first', 'g');
    expect((await poll(url, 0)).bodies).toEqual(['first']); // in flight 30 s; gone (retention) at t0 + 2 s
    const waiting = poll(url, 5, t0);
    await sleep(1_800 - (Date.now() - t0));
    await send(url, 'second', 'g'); // wakes the poll: g still locked, so it waits again (until about t0 + 2.8 s)
    const { bodies, at } = await waiting;
    expect(bodies).toEqual(['second']);
    expect(at).toBeLessThan(2_300); // receivable from t0 + 2000
  });

  it('a WaitTimeSeconds that is not a number does not turn the wait into a 1 ms timer loop', async () => {
    // Number('soon') is NaN: the deadline is never reached, and setTimeout(NaN) is 1 ms, so the poll looks at the
    // queue about a thousand times a second until the client leaves (the 10 ms loop before looked 100 times).
    // AWS refuses it (WaitTimeSeconds: an integer 0-20).
    const { url, local } = await create(`nan${++n}`);
    const receives = vi.spyOn(local, 'receive');
    const gone = new AbortController();
    const answer = fetch(endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ QueueUrl: url, WaitTimeSeconds: 'soon' }),
      signal: gone.signal,
    }).then(
      (r) => r.status,
      () => 'still waiting',
    );
    await sleep(300);
    const looks = receives.mock.calls.length;
    gone.abort();
    receives.mockRestore();
    expect(looks).toBeLessThanOrEqual(3);
    expect(await answer).toBe(400);
  });

  it('refuses a WaitTimeSeconds or VisibilityTimeout out of range, naming it, as SQS does; nothing is received', async () => {
    const { url, local } = await create(`range${++n}`);
    await send(url, 'kept');
    for (const input of [
      { WaitTimeSeconds: 21 },
      { WaitTimeSeconds: -1 },
      { VisibilityTimeout: 43_201 },
      { VisibilityTimeout: 1.5 },
    ]) {
      const name = Object.keys(input)[0] ?? '';
      await expect(
        sqs.send(new ReceiveMessageCommand({ QueueUrl: url, ...input })),
        name,
      ).rejects.toMatchObject({ message: expect.stringContaining(`for parameter ${name} is invalid`) });
    }
    expect(local.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });
});

describe('local SQS long polling: what the review of 8f9301a tried that held', () => {
  it('wakes a waiting poll when a receive moves a message to its DLQ, and on a batch send (all of it)', async () => {
    const dlq = await create(`dlq${++n}`);
    const source = await create(`src${n}`, {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    await send(source.url, 'poison');
    expect((await poll(source.url, 0)).bodies).toEqual(['poison']);
    // visible again after 1 s; the next receive moves it to the DLQ (a send there) instead of answering it
    const onDlq = poll(dlq.url, 5);
    await sleep(1_100);
    expect((await poll(source.url, 0)).bodies).toEqual([]);
    expect(await onDlq).toMatchObject({ bodies: ['poison'] });
    expect((await onDlq).at).toBeLessThan(1_500);

    const back = await create(`back${n}`);
    const waiting = poll(back.url, 5, Date.now());
    await sleep(150);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: back.url,
        Entries: ['b1', 'b2', 'b3'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const batch = await waiting;
    expect(batch.bodies).toEqual(['b1', 'b2', 'b3']); // the whole batch, not only the first entry
    expect(batch.at).toBeLessThan(1_000);
  });

  it('a move task back to the source wakes a poll waiting there', async () => {
    const dlq = await create(`dlq${++n}`);
    const source = await create(`src${n}`, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: 'redriven' }));
    const waiting = poll(source.url, 5);
    await sleep(150);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn }));
    const { bodies, at } = await waiting;
    expect(bodies).toEqual(['redriven']);
    expect(at).toBeLessThan(1_000);
  });

  it('a delayed message answers at its delay (past the 1 s cap), and the deadline holds when it is later', async () => {
    const { url } = await create(`delay${++n}`);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late', DelaySeconds: 3 }));
    const short = await poll(url, 1);
    expect(short.bodies).toEqual([]);
    expect(short.at).toBeGreaterThanOrEqual(990);
    expect(short.at).toBeLessThan(1_300);
    const long = await poll(url, 5);
    expect(long.bodies).toEqual(['late']);
    expect(long.at).toBeLessThan(2_300); // about 2 s left of the 3 s delay
  });

  it('a FIFO group locked by a message in flight: no spin on its visible successor, answered when it unlocks', async () => {
    const { url, local } = await create(`lock${++n}.fifo`, { ...fifoAttributes, VisibilityTimeout: '1' });
    await send(url, 'a1', 'g');
    await send(url, 'a2', 'g');
    expect((await poll(url, 0, Date.now(), 1)).bodies).toEqual(['a1']);
    const receives = vi.spyOn(local, 'receive');
    try {
      const { bodies, at } = await poll(url, 5);
      expect(bodies).toEqual(['a1', 'a2']); // a1 again (not deleted), then a2, in order
      expect(at).toBeLessThan(1_300);
      expect(receives.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      receives.mockRestore();
    }
  });

  it('several waiting polls: each message of a batch to one poll only, none left waiting', async () => {
    const { url, local } = await create(`many${++n}`);
    const t = Date.now();
    const polls = Array.from({ length: 5 }, () => poll(url, 5, t, 1));
    await sleep(200);
    expect(waiters(local)).toBe(5);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [1, 2, 3, 4, 5].map((i) => ({ Id: String(i), MessageBody: `m${i}` })),
      }),
    );
    const answers = await Promise.all(polls);
    expect(answers.flatMap((a) => a.bodies).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(Math.max(...answers.map((a) => a.at))).toBeLessThan(1_000);
  });

  it('polls whose clients left, and polls that ended, leave no waiter behind', async () => {
    const { url, local } = await create(`left${++n}`);
    const warnings: string[] = [];
    const warned = (w: Error) => warnings.push(w.name);
    process.on('warning', warned);
    try {
      const clients = Array.from({ length: 30 }, () => new AbortController());
      const polls = clients.map((c) => poll(url, 20, Date.now(), 1, c.signal).catch(() => 'aborted'));
      await sleep(300);
      expect(waiters(local)).toBe(30);
      for (const c of clients) c.abort();
      expect(await Promise.all(polls)).toEqual(clients.map(() => 'aborted'));
      await sleep(100);
      expect(waiters(local)).toBe(0);
      await send(url, 'kept');
      expect((await poll(url, 0)).bodies).toEqual(['kept']);
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', warned);
    }
  });
});
