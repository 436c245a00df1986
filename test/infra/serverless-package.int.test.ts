import { describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import { cloudFormationTable } from '#src/platform/infra/cloudformation.js';
import { wiringProblems } from '#src/platform/local/sqs-runtime.js';
import { loadWiring, localQueueName } from '#src/platform/local/wiring.js';
import { packagedTemplate } from '#test/serverless-template.js';

/** Packages the service offline (no credentials), once per stage and sources, and returns the template. */
function packageTemplate(stage: string): { Resources: Record<string, { Type: string; Properties: object }> } {
  return packagedTemplate(stage) as { Resources: Record<string, { Type: string; Properties: object }> };
}

type Resources = [string, { Type: string; Properties: Record<string, unknown> }][];

const idOf = (ref: unknown): string => {
  const r = ref as { 'Fn::GetAtt'?: [string]; Ref?: string };
  return String(r['Fn::GetAtt']?.[0] ?? r.Ref);
};

describe('serverless.yml', () => {
  it.each(['dev', 'prod'])('packages %s with exactly the tables of the definitions module', (stage) => {
    const template = packageTemplate(stage);
    const packaged = Object.fromEntries(
      Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table'),
    );
    const declared = Object.fromEntries(
      Object.entries(app.tables).map(([id, table]) => [id, cloudFormationTable(table, stage)]),
    );
    expect(packaged).toEqual(declared);
    const eventStore = (declared.EventStoreTable as { Properties: Record<string, unknown> }).Properties;
    expect(eventStore.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(eventStore.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(eventStore.DeletionProtectionEnabled).toBe(stage !== 'dev');
    expect(eventStore.TableName).toBe(`bbws-event-store-${stage}`);
  });

  it('wires every function locally exactly as the packaged template does', () => {
    const template = packageTemplate('dev');
    const resources = Object.entries(template.Resources) as [
      string,
      { Type: string; Properties: Record<string, unknown> },
    ][];
    const fnOf = (ref: unknown) =>
      String((ref as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]).replace(/LambdaFunction$/, '');
    const lower = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
    const local = loadWiring(process.cwd());

    const functions = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => lower(id.replace(/LambdaFunction$/, '')));
    expect(local.functions.map((f) => f.name).sort()).toEqual(functions.sort());

    const mappings = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map(
        ([, r]) =>
          `${lower(fnOf(r.Properties.FunctionName))} <- ${(r.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]}`,
      );
    expect(
      [...local.streams, ...local.sqs]
        .map((s) => `${s.function} <- ${'table' in s ? s.table : s.queue}`)
        .sort(),
    ).toEqual(mappings.sort());

    const rules = resources
      .filter(([, r]) => r.Type === 'AWS::Events::Rule')
      .filter(([, r]) => /LambdaFunction$/.test(idOf((r.Properties.Targets as { Arn: unknown }[])[0]?.Arn)))
      .map(([, r]) => ({
        function: lower(fnOf((r.Properties.Targets as { Arn: unknown }[])[0]?.Arn)),
        pattern: r.Properties.EventPattern,
      }));
    expect(local.rules.map((r) => ({ function: r.function, pattern: r.pattern }))).toEqual(rules);

    const routes = resources
      .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => String(r.Properties.RouteKey));
    const routeKey = (r: { method: string; path: string }) =>
      r.path === '$default' ? '$default' : `${r.method} ${r.path}`;
    expect(local.routes.map(routeKey).sort()).toEqual(routes.sort());

    const wired = new Set(
      [...local.streams, ...local.sqs, ...local.rules, ...local.routes].map((e) => e.function),
    );
    expect(functions.filter((f) => !wired.has(f))).toEqual([]);
  });

  it('wires queues, rules with queue targets and SQS mappings locally exactly as the packaged template', () => {
    const resources = Object.entries(packageTemplate('dev').Resources) as Resources;
    const typed = (type: string) => resources.filter(([, r]) => r.Type === type);
    const queueIds = new Set(typed('AWS::SQS::Queue').map(([id]) => id));
    const local = loadWiring(process.cwd());

    const queues = Object.fromEntries(
      typed('AWS::SQS::Queue').map(([id, { Properties: p }]) => {
        const redrive = p.RedrivePolicy as
          | { deadLetterTargetArn: unknown; maxReceiveCount: number }
          | undefined;
        return [
          id,
          {
            name: p.QueueName,
            fifo: p.FifoQueue === true,
            contentBasedDeduplication: p.ContentBasedDeduplication === true,
            visibility: p.VisibilityTimeout,
            retention: p.MessageRetentionPeriod,
            redrive: redrive && {
              queue: idOf(redrive.deadLetterTargetArn),
              receives: redrive.maxReceiveCount,
            },
          },
        ];
      }),
    );
    expect(
      Object.fromEntries(
        Object.entries(local.queues).map(([id, q]) => [
          id,
          {
            name: localQueueName(q, 'dev'),
            fifo: q.fifo,
            contentBasedDeduplication: q.contentBasedDeduplication,
            visibility: q.visibilityTimeoutSeconds,
            retention: q.retentionSeconds,
            redrive: q.redrive && { queue: q.redrive.deadLetterQueue, receives: q.redrive.maxReceiveCount },
          },
        ]),
      ),
    ).toEqual(queues);

    const queueRules = typed('AWS::Events::Rule').flatMap(([id, { Properties: p }]) => {
      const [target] = p.Targets as {
        Arn: unknown;
        SqsParameters?: { MessageGroupId: string };
        RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
        DeadLetterConfig: { Arn: unknown };
      }[];
      if (!target || !queueIds.has(idOf(target.Arn))) return [];
      const groupId = target.SqsParameters?.MessageGroupId;
      return [
        {
          name: id,
          bus: typeof p.EventBusName === 'string' ? p.EventBusName : idOf(p.EventBusName),
          pattern: p.EventPattern,
          queue: idOf(target.Arn),
          ...(groupId ? { messageGroupId: groupId } : {}),
          // what EventBridge does with an event it cannot deliver (every target has both)
          undelivered: {
            maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts,
            maximumEventAgeSeconds: target.RetryPolicy.MaximumEventAgeInSeconds,
            deadLetterQueue: idOf(target.DeadLetterConfig.Arn),
          },
        },
      ];
    });
    expect(queueRules.length).toBeGreaterThan(0);
    expect(local.queueRules).toEqual(queueRules);
    // Each such rule may send to its queue, and nothing else may: the queue policy names the rule's ARN.
    const policies = typed('AWS::SQS::QueuePolicy').map(([, { Properties: p }]) => p);
    for (const rule of queueRules) {
      expect(policies).toContainEqual({
        Queues: [{ Ref: rule.queue }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [rule.queue, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule.name, 'Arn'] } } },
            },
          ],
        },
      });
    }

    const lower = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
    const sqsMappings = typed('AWS::Lambda::EventSourceMapping')
      .filter(([, r]) => queueIds.has(idOf(r.Properties.EventSourceArn)))
      .map(([, { Properties: p }]) => ({
        function: lower(idOf(p.FunctionName).replace(/LambdaFunction$/, '')),
        queue: idOf(p.EventSourceArn),
        batchSize: p.BatchSize,
        maximumBatchingWindowSeconds: p.MaximumBatchingWindowInSeconds ?? 0,
        reportBatchItemFailures: (p.FunctionResponseTypes as string[] | undefined)?.includes(
          'ReportBatchItemFailures',
        ),
      }));
    expect(sqsMappings.length).toBeGreaterThan(0);
    expect(local.sqs).toEqual(sqsMappings);
    const timeouts = Object.fromEntries(
      typed('AWS::Lambda::Function').map(([id, r]) => [
        lower(id.replace(/LambdaFunction$/, '')),
        r.Properties.Timeout,
      ]),
    );
    expect(Object.fromEntries(local.functions.map((f) => [f.name, f.timeoutSeconds]))).toEqual(timeouts);
    // What AWS would refuse when creating them (FIFO target without content-based deduplication, a visibility
    // timeout below the function's): none.
    expect(wiringProblems(local)).toEqual([]);
  });

  it('refuses a stage other than dev, sit and prod', () => {
    expect(() => packageTemplate('qa')).toThrow(/stage must be one of dev, sit, prod/);
  });
});
