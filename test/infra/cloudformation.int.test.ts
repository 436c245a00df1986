import { describe, expect, it } from 'vitest';
import { validateTemplate } from '#src/platform/infra/cfn-validate.js';
import { policiesFromTemplate, resolveIntrinsics } from '#src/platform/local/iam/template-policies.js';
import { type CloudFormationTemplate, packagedTemplate } from '#test/serverless-template.js';

const STAGES = ['dev', 'prod'] as const;
/** What CloudFormation generates at deploy time: the pool and client ids, and a key id for each KMS key. */
const context = (stage: string, template: CloudFormationTemplate) => ({
  stage,
  region: 'af-south-1',
  account: '123456789012',
  physicalIds: {
    ...Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::KMS::Key')
        .map(([id], i) => [id, `1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`]),
    ),
    UserPool: 'af-south-1_AbCdEf123',
    UserPoolClient: '4example0client0id0abcdefgh',
  },
});

type Resource = CloudFormationTemplate['Resources'][string];
const ofType = (template: CloudFormationTemplate, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const functions = (template: CloudFormationTemplate) => ofType(template, 'AWS::Lambda::Function');

/**
 * A policy resource this stage may name: its own (`-<stage>`), a secret kept outside the stack under the stage's own
 * path (`bbws/<stage>/<name>`, set by an operator per stage: the `/` on both sides keeps `bbws/dev/` from matching
 * another stage's), an id CloudFormation generates, or the workload environments' ECS services and scalable targets.
 */
function ofThisStage(resource: string, stage: string): boolean {
  if (resource.includes(':secret:bbws/')) return resource.includes(`:secret:bbws/${stage}/`);
  const generated = /:userpool\/|:key\//.test(resource); // ids CloudFormation generates
  // The tenants' ECS services and their scalable targets belong to the workload environments (dev, sit, prod),
  // whichever control-plane stage manages them (docs/architecture.md, "Topology").
  const workload = /:ecs:.*:service\/bbws-\*\/|:application-autoscaling:.*:scalable-target\/\*$/.test(
    resource,
  );
  // The workload environments' roles, assumed by ECS control and the state sync, in their own accounts.
  const workloadRole = /:iam::\*:role\/bbws-control-(dev|sit|prod)$/.test(resource);
  return resource === '*' || resource.includes(`-${stage}`) || generated || workload || workloadRole;
}

describe.each(STAGES)('the packaged %s template', (stage) => {
  const template = packagedTemplate(stage);

  it('is valid against the CloudFormation resource model: types, properties, references', async () => {
    expect(await validateTemplate(template)).toEqual([]);
  });

  it('gives every function the stage user pool and app client of this stack', () => {
    expect(functions(template).length).toBeGreaterThan(3);
    for (const [id, fn] of functions(template)) {
      const environment = fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
      const variables = environment?.Variables ?? {};
      expect(variables.COGNITO_USER_POOL_ID, id).toEqual({ Ref: 'UserPool' });
      expect(variables.COGNITO_CLIENT_ID, id).toEqual({ Ref: 'UserPoolClient' });
      expect(resolveIntrinsics(template, context(stage, template), variables)).toMatchObject({
        COGNITO_USER_POOL_ID: 'af-south-1_AbCdEf123',
        COGNITO_CLIENT_ID: '4example0client0id0abcdefgh',
      });
    }
    expect(template.Resources.UserPool?.Type).toBe('AWS::Cognito::UserPool');
    expect(template.Resources.UserPoolClient?.Type).toBe('AWS::Cognito::UserPoolClient');
  });

  it("gives the provisioner's functions their own configuration: the operator's SSM parameters of this stage", () => {
    const provisioners = functions(template).filter(([id]) =>
      /^Provisioner(Follow|Webhooks)?LambdaFunction$/.test(id),
    );
    expect(provisioners.map(([id]) => id).sort()).toEqual([
      'ProvisionerFollowLambdaFunction',
      'ProvisionerLambdaFunction',
      'ProvisionerWebhooksLambdaFunction',
    ]);
    for (const [id, fn] of provisioners) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables, id).toMatchObject({
        WORKLOAD_ENVIRONMENTS: `{{resolve:ssm:/bbws/${stage}/workload-environments}}`,
        WORDPRESS_IMAGE: `{{resolve:ssm:/bbws/${stage}/wordpress-image}}`,
        SITE_BASE_DOMAIN: `{{resolve:ssm:/bbws/${stage}/site-base-domain}}`,
        PLATFORM_ADMIN_EMAIL: `{{resolve:ssm:/bbws/${stage}/platform-admin-email}}`,
        GITHUB_API_URL: 'https://api.github.com',
        STAGE: stage, // the provider's environment still reaches them
      });
    }
    // ECS control and the state sync read the same environments (roles and clusters kept once) and the account.
    const ecs = functions(template).filter(([id]) => /^EcsStateSync|^EcsControl/.test(id));
    expect(ecs).toHaveLength(2);
    for (const [id, fn] of ecs) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables, id).toMatchObject({
        WORKLOAD_ENVIRONMENTS: `{{resolve:ssm:/bbws/${stage}/workload-environments}}`,
        CONTROL_PLANE_ACCOUNT: { Ref: 'AWS::AccountId' },
      });
    }
    // Only the functions that read them carry them.
    const readers = [...provisioners, ...ecs];
    const others = functions(template).filter(([id]) => !readers.some(([p]) => p === id));
    for (const [id, fn] of others) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables?.WORKLOAD_ENVIRONMENTS, id).toBeUndefined();
    }
  });

  it("lets the workload accounts of the stage's SSM list put on the default bus; names the roles they trust", () => {
    expect((template.Parameters as Record<string, unknown> | undefined)?.WorkloadAccountIds).toEqual(
      expect.objectContaining({
        Type: 'AWS::SSM::Parameter::Value<List<String>>',
        Default: `/bbws/${stage}/workload-account-ids`,
      }),
    );
    expect(template.Resources.WorkloadEcsEventsBusPolicy?.Properties).toMatchObject({
      EventBusName: 'default',
      Statement: { Principal: { AWS: { Ref: 'WorkloadAccountIds' } }, Action: 'events:PutEvents' },
    });
    // the names the workload template's trust policy gives (infra/workload-account.template.json)
    for (const fn of ['ecsControl', 'ecsStateSync']) {
      const role = template.Resources[`${fn.charAt(0).toUpperCase()}${fn.slice(1)}ExecutionRole`];
      expect(role?.Properties?.RoleName).toBe(`bbws-control-plane-${stage}-${fn}`);
    }
  });

  it('defines the user pool the code assumes: custom:tenants (2048), groups Admin and Operator, the app client', () => {
    const pool = template.Resources.UserPool?.Properties ?? {};
    expect(pool.Schema).toContainEqual(
      expect.objectContaining({
        Name: 'tenants', // custom:tenants
        AttributeDataType: 'String',
        Mutable: true,
        StringAttributeConstraints: expect.objectContaining({ MaxLength: '2048' }),
      }),
    );
    const groups = ofType(template, 'AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties);
    expect(groups.map((g) => g?.GroupName).sort()).toEqual(['Admin', 'Operator']);
    for (const group of groups) expect(group?.UserPoolId).toEqual({ Ref: 'UserPool' });
    const client = template.Resources.UserPoolClient?.Properties ?? {};
    expect(client.UserPoolId).toEqual({ Ref: 'UserPool' });
    expect(client.ReadAttributes).toContain('custom:tenants');
    expect(client.WriteAttributes).not.toContain('custom:tenants'); // only the identity sync writes memberships
  });

  it('keeps the key material the event table depends on as long as the table: the master key, the subject-index key', () => {
    const table = template.Resources.EventStoreTable as Resource;
    const kept = { DeletionPolicy: table.DeletionPolicy, UpdateReplacePolicy: table.UpdateReplacePolicy };
    expect(kept).toEqual(
      stage === 'dev'
        ? { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' }
        : { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
    );
    // PersonalDataKey wraps every data key; SubjectIndexKey keys the subject ids the table and the index hold.
    for (const id of ['PersonalDataKey', 'SubjectIndexKey']) {
      const resource = template.Resources[id] as Resource;
      expect(
        { DeletionPolicy: resource.DeletionPolicy, UpdateReplacePolicy: resource.UpdateReplacePolicy },
        id,
      ).toEqual(kept);
    }
  });

  it('keeps an e-mail change pending until the new address is verified; recovery by verified e-mail only', () => {
    const pool = template.Resources.UserPool?.Properties ?? {};
    expect(pool.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool.UserAttributeUpdateSettings).toEqual({
      AttributesRequireVerificationBeforeUpdate: ['email'],
    });
    expect(pool.AccountRecoverySetting).toEqual({
      RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }],
    });
  });

  it("resolves every function's role: one per function, each statement on resources of this stage", () => {
    const policies = policiesFromTemplate(template, context(stage, template));
    const roles = Object.values(policies.byLogicalId);
    expect(roles.map((r) => r.logicalId).sort()).toEqual(
      functions(template)
        .map(([id]) => id)
        .sort(),
    );
    expect(new Set(roles.map((r) => r.roleLogicalId)).size).toBe(roles.length);
    for (const role of roles) {
      expect(role.ignoredManagedPolicyArns, role.functionName).toEqual([]);
      const statements = role.policies.flatMap((p) =>
        Array.isArray(p.Statement) ? p.Statement : [p.Statement],
      );
      for (const statement of statements) {
        const resources = [statement.Resource ?? []].flat();
        for (const resource of resources) {
          expect(ofThisStage(resource, stage), resource).toBe(true);
        }
      }
    }
    const cognito = roles
      .flatMap((r) => r.policies.flatMap((p) => [p.Statement].flat()))
      .filter((s) => [s.Action].flat().some((a) => String(a).startsWith('cognito-idp:')));
    for (const statement of cognito) {
      expect(statement.Resource).toBe(
        'arn:aws:cognito-idp:af-south-1:123456789012:userpool/af-south-1_AbCdEf123',
      );
    }
  });
});
