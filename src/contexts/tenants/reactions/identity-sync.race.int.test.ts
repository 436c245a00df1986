import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { ConsumerDependencies } from '#src/platform/consumers/consumer.js';
import { eventBridgeConsumer } from '#src/platform/consumers/eventbridge-consumer.js';
import { InMemoryConsumerLedger } from '#src/platform/consumers/ledger.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { freePort } from '#src/platform/local/ports.js';
import { SqsPoller } from '#src/platform/local/sqs-poller.js';
import { LocalSqs } from '#src/platform/local/sqs-server.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { metadata } from '#test/fixtures.js';
import { busEvent } from '#test/lambda-events.js';
import { eventually } from '#test/runtime.js';
import { type TenantCommand, tenantDecider } from '../domain/tenant.decider.js';
import { identitySync } from './identity-sync.reaction.js';

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

/**
 * The race of issue 7 item 5: a user is TenantAdmin of tenant 1; her removal from tenant 1 and her assignment to
 * tenant 2 are handled at the same time. Cognito rewrites her whole membership attribute without a condition.
 */
async function theRace() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  // A round trip of 5 ms per Cognito call, as the runtime's stand-in has: both writers read before either writes.
  const directory = new LocalIdentityDirectory(join(mkdtempSync(join(tmpdir(), 'race-')), 'users.json'), 5);
  const userId = `user-${ulid()}`;
  await directory.addUser({ userId, email: `${userId}@b.test` });
  const [t1, t2] = [ulid(), ulid()];
  const run = async (tenantId: string, command: TenantCommand) =>
    (
      await runner.run({
        decider: tenantDecider,
        streamId: `tenant-${tenantId}`,
        command,
        metadata: metadata({ tenantId }),
        result: () => null,
      })
    ).events;
  for (const tenantId of [t1, t2])
    await run(tenantId, {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Org ${tenantId}`,
      contactEmail: 'a@b.test',
      environment: 'prod',
    });
  await run(t1, { type: 'AssignUser', userId, role: 'TenantAdmin' });
  await directory.setMembership(userId, t1, { role: 'TenantAdmin', version: 2 });
  const racing: EventEnvelope[] = [
    ...(await run(t1, { type: 'RemoveUser', userId })),
    ...(await run(t2, { type: 'AssignUser', userId, role: 'TenantMember' })),
  ];
  const deps: ConsumerDependencies = {
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new RecordingMetrics(),
    ledger: new InMemoryConsumerLedger(),
  };
  const consumer = identitySync(() => ({ store, identity: directory }));
  const converged = async () => {
    const m = await directory.memberships(userId);
    return m[t1]?.role === null && m[t2]?.role === 'TenantMember';
  };
  return { racing, deps, consumer, converged };
}

describe('identity sync: the issue 7 race', () => {
  it('old design (the rule invokes the function, deliveries run concurrently): the removal is undone', async () => {
    const { racing, deps, consumer, converged } = await theRace();
    const invoke = eventBridgeConsumer(consumer, () => deps);
    await Promise.all(racing.map((event) => invoke(busEvent(event))));
    expect(await converged()).toBe(false);
  });

  it.each([10, 1])('new design (one FIFO group, batch size %i): both writes land', async (batchSize) => {
    const { racing, deps, consumer, converged } = await theRace();
    const name = `identity-${ulid()}.fifo`;
    const attributes = { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '60' };
    const url =
      (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? '';
    // Both arrive at once (what the rule does with one PutEvents of two entries).
    await Promise.all(
      racing.map((event) =>
        sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: JSON.stringify(busEvent(event)),
            MessageGroupId: 'identity-sync',
          }),
        ),
      ),
    );
    const handler = sqsConsumer(consumer, () => deps);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const poller = new SqsPoller(sqs, {
      queueUrl: url,
      queueArn: Attributes?.QueueArn ?? '',
      batchSize,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      concurrency: 3,
      invoke: (event) => handler(event as SQSEvent),
    });
    poller.start();
    try {
      await eventually(() => expect(poller.invocations.flatMap((i) => i.messageIds)).toHaveLength(2));
      expect(await converged()).toBe(true);
    } finally {
      await poller.stop();
    }
  });
});
