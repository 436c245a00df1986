import { describe, expect, it } from 'vitest';
import { resolveIntrinsics } from '#src/platform/local/iam/template-policies.js';
import { type CloudFormationTemplate, packagedTemplate } from '#test/serverless-template.js';

/**
 * The stack's secrets reach only the functions that use them (review 8, #2). A `{{resolve:secretsmanager}}`
 * reference in a Lambda environment is resolved into the function's configuration in plain text, so a secret in the
 * provider's environment was readable in every function's configuration: the health check's included.
 */
const STAGES = ['dev', 'prod'] as const;
type Resource = CloudFormationTemplate['Resources'][string];

const variablesOf = (resource: Resource): Record<string, unknown> =>
  (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

const holders = (template: CloudFormationTemplate, variable: string): string[] =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && variable in variablesOf(r))
    .map(([id]) => id.replace(/LambdaFunction$/, ''))
    .sort();

describe.each(STAGES)('the packaged %s template', (stage) => {
  const template = packagedTemplate(stage);

  it('gives the cursor secret only to the functions serving routes behind a token', () => {
    const cursor = holders(template, 'CURSOR_SECRET');
    expect(cursor).toEqual(expect.arrayContaining(['TenantApi', 'PrivacyApi', 'InstanceApi']));
    // public routes only (health, the OpenAPI document, the plans catalogue, the signed webhooks), stream and queue
    // consumers: none verifies a token or pages
    for (const none of [
      'Health',
      'OpenApi',
      'PlansApi',
      'ProvisionerWebhooks',
      'EventPublisher',
      'ProjectionDispatcher',
      'ErasureProcess',
      'IdentitySync',
      'EcsControl',
      'EcsStateSync',
    ])
      expect(cursor, none).not.toContain(none);
  });

  it('gives the subject-index key only to the functions naming data subjects by e-mail', () => {
    // tenantApi appends tenants' and users' e-mails (sealed under their subjects' ids); privacyApi finds people by
    // e-mail. Every other function reads subject ids from the events and never computes one.
    expect(holders(template, 'SUBJECT_INDEX_KEY')).toEqual(['PrivacyApi', 'TenantApi']);
  });

  it("resolves each holder's variable to this stage's secret", () => {
    const context = {
      stage,
      region: 'af-south-1',
      account: '123456789012',
      physicalIds: {
        UserPool: 'af-south-1_AbCdEf123',
        UserPoolClient: '4example0client0id0abcdefgh',
        PersonalDataKey: '1234abcd-12ab-34cd-56ef-000000000000',
      },
    };
    const tenantApi = template.Resources.TenantApiLambdaFunction as Resource;
    const secret = (name: string) =>
      `{{resolve:secretsmanager:arn:aws:secretsmanager:af-south-1:123456789012:secret:${name}-${stage}-??????:SecretString}}`;
    expect(resolveIntrinsics(template, context, variablesOf(tenantApi))).toMatchObject({
      CURSOR_SECRET: secret('bbws-cursor-secret'),
      SUBJECT_INDEX_KEY: secret('bbws-subject-index-key'),
    });
  });
});
