import { describe, expect, it } from 'vitest';
import { validateTemplate } from '#src/platform/infra/cfn-validate.js';
import { cloudFormationResources, merge } from '#src/platform/infra/render.js';
import { wiringFrom } from './wiring.js';

const ecs = { source: ['aws.ecs'], 'detail-type': ['ECS Service Action', 'ECS Deployment State Change'] };

/** The template as `serverless print` gives it, from declarations rendered as serverless.yml renders them. */
const printed = (modules: Parameters<typeof merge>[0]) => ({
  provider: {},
  functions: {},
  resources: { Resources: cloudFormationResources(merge(modules), 'dev') },
});

describe('local wiring of rules forwarding to another bus', () => {
  const modules = [
    {
      resources: () => ({
        EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bbws-events-dev' } },
      }),
      queues: { Q: { baseName: 'q' } },
      rules: {
        Forward: { bus: 'default', description: 'ECS to the platform', pattern: ecs, targetBus: 'platform' },
        Back: { bus: 'platform', description: 'the other way', pattern: ecs, targetBus: 'default' },
        ToQueue: { bus: 'platform', description: 'ECS to a queue', pattern: ecs, queue: 'Q' },
      },
    } as const,
  ];

  it('is derived from the rendered rules: bus and target bus by logical id, `default` for the default bus', () => {
    const wiring = wiringFrom(printed(modules));
    const undelivered = {
      maximumRetryAttempts: 24,
      maximumEventAgeSeconds: 3600,
      deadLetterQueue: 'RuleTargetsDeadLetter',
    };
    expect(wiring.busRules).toEqual([
      { name: 'Forward', bus: 'default', pattern: ecs, targetBus: 'EventBus', undelivered },
      { name: 'Back', bus: 'EventBus', pattern: ecs, targetBus: 'default', undelivered },
    ]);
    expect(wiring.queueRules.map((r) => r.name)).toEqual(['ToQueue']);
    expect(wiring.buses).toEqual({ EventBus: 'bbws-events' });
  });

  it('renders a role EventBridge assumes, allowed to put events on the target bus only', () => {
    const resources = printed(modules).resources.Resources as Record<string, Record<string, unknown>>;
    expect(resources.Forward?.Properties).toMatchObject({
      EventBusName: 'default',
      Targets: [
        { Arn: { 'Fn::GetAtt': ['EventBus', 'Arn'] }, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } },
      ],
    });
    expect(JSON.stringify(resources.ForwardRole)).toContain('"Action":"events:PutEvents"');
  });

  it('renders resources CloudFormation accepts', async () => {
    expect(await validateTemplate({ Resources: printed(modules).resources.Resources })).toEqual([]);
  });

  it('refuses a rule forwarding to its own bus before anything is packaged', () => {
    const own = { bus: 'platform', description: 'loop', pattern: ecs, targetBus: 'platform' } as const;
    expect(() => printed([{ rules: { Loop: own } }])).toThrow(/Loop: forwards to the bus it is on/);
  });
});

describe("local wiring of a function's own environment", () => {
  it('takes its literal values and leaves the operator parameters, which exist only in AWS, to the stand-ins', () => {
    const wiring = wiringFrom({
      provider: { environment: { STAGE: 'dev' } },
      functions: {
        provisioner: {
          handler: 'src/contexts/instances/handlers/provisioner.handler',
          environment: {
            GITHUB_API_URL: 'https://api.github.com',
            WORDPRESS_IMAGE: '{{resolve:ssm:/bbws/dev/wordpress-image}}',
          },
        },
      },
      resources: { Resources: {} },
    });
    expect(wiring.environment).toEqual({ STAGE: 'dev' });
    expect(wiring.functions[0]?.environment).toEqual({ GITHUB_API_URL: 'https://api.github.com' });
  });
});
