import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import {
  RULE_TARGET_RETRY,
  RULE_TARGETS_DEAD_LETTER,
  ruleTargetsDeadLetterName,
} from '#src/platform/infra/cloudformation.js';
import { cloudFormationResources, merge } from '#src/platform/infra/render.js';
import { LocalEventBridge } from './eventbridge-server.js';
import { freePort } from './ports.js';
import { startLocalSqs } from './sqs-runtime.js';
import { wiringFrom } from './wiring.js';

/**
 * Review 7, finding 7: EventBridge retries a rule target it cannot deliver to for 24 hours (185 attempts) by default
 * and then drops the event; a refusal (queue policy, KMS, deleted queue) drops it at once. Every rule target has a
 * RetryPolicy and the rule targets' dead-letter queue, and the local EventBridge honours both.
 */
type Target = { Id: string; RetryPolicy?: unknown; DeadLetterConfig?: { Arn: unknown } };
type Rendered = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('rule targets: retried, then kept in a dead-letter queue', () => {
  it('renders every rule target of the stack with the retry policy and the dead-letter queue', () => {
    const resources = cloudFormationResources(app, 'dev') as Rendered;
    const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
    const targets = rules.flatMap(([, r]) => r.Properties.Targets as Target[]);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets)
      expect(target, target.Id).toMatchObject({
        RetryPolicy: RULE_TARGET_RETRY,
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [RULE_TARGETS_DEAD_LETTER, 'Arn'] } },
      });
    expect(resources[RULE_TARGETS_DEAD_LETTER]?.Properties).toMatchObject({
      QueueName: ruleTargetsDeadLetterName('dev'),
      MessageRetentionPeriod: 1_209_600,
    });
    // EventBridge may send there only from the stack's own rules
    const policy = resources[`${RULE_TARGETS_DEAD_LETTER}Policy`]?.Properties.PolicyDocument as {
      Statement: { Principal: unknown; Action: string; Condition: { ArnEquals: Record<string, unknown> } }[];
    };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': rules.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] })) } },
      }),
    ]);
    expect(resources[`${RULE_TARGETS_DEAD_LETTER}Alarm`]?.Type).toBe('AWS::CloudWatch::Alarm');
  });

  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('locally: a target that keeps failing is tried 1 + MaximumRetryAttempts times, then the event is in the dead-letter queue', async () => {
    const pattern = { source: ['drill'] };
    const printed = {
      provider: {},
      functions: {},
      resources: {
        Resources: cloudFormationResources(
          merge([
            {
              resources: () => ({
                EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bbws-events-dev' } },
              }),
              queues: { Target: { baseName: 'bbws-drill-target' } },
              rules: { ToTarget: { bus: 'platform', description: 'drill', pattern, queue: 'Target' } },
            },
          ]),
          'dev',
        ),
      },
    };
    const wiring = wiringFrom(printed);
    const [rule] = wiring.queueRules;
    expect(rule?.undelivered).toEqual({
      maximumRetryAttempts: RULE_TARGET_RETRY.MaximumRetryAttempts,
      maximumEventAgeSeconds: RULE_TARGET_RETRY.MaximumEventAgeInSeconds,
      deadLetterQueue: RULE_TARGETS_DEAD_LETTER,
    });
    if (rule?.undelivered) rule.undelivered.maximumRetryAttempts = 2; // the test's patience, not the policy's
    const sqs = await startLocalSqs(wiring, 'rtdlq');
    stops.push(() => sqs.stop());
    const logs: string[] = [];
    const bridge = new LocalEventBridge(sqs.rules, (line) => logs.push(line));
    const endpoint = await bridge.listen(await freePort());
    stops.push(() => bridge.close());
    // the target queue is gone (the local SQS server has no DeleteQueue: its URL now names no queue)
    sqs.queueUrls.Target = `${sqs.queueUrls.Target}-deleted`;
    const events = new EventBridgeClient({
      region: 'af-south-1',
      endpoint,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    stops.push(async () => events.destroy());
    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'drill', DetailType: 'kept', Detail: '{"n":1}', EventBusName: 'bbws-events-rtdlq' },
        ],
      }),
    );
    await bridge.idle();
    expect(bridge.deliveries.map((d) => [d.rule, d.ok, d.deadLettered])).toEqual([['ToTarget', false, true]]);
    expect(logs.filter((line) => line.startsWith('ToTarget failed on kept')).length).toBe(3);
    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrls[RULE_TARGETS_DEAD_LETTER], WaitTimeSeconds: 1 }),
    );
    expect(Messages.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([
      expect.objectContaining({ source: 'drill', 'detail-type': 'kept', detail: { n: 1 } }),
    ]);
  });
});
