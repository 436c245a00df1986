import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTerraform } from '../checker/check.js';
import { PROVIDERS_SCHEMA } from '../checker/schema.js';
import { TenantTerraformInput } from '../input.js';
import { serviceName, tenantOfService } from '../naming.js';
import { devTenant, prodTenant, prodTenantUpgraded } from '../test-support/fixtures.js';
import { generateTenantFolder } from './generate.js';
import { readTenantSettings } from './read-folder.js';
import { TIER_LOCALS } from './tenant-locals.js';
import { attr, interp, local } from './tf-json.js';

const TAGS = interp(local('tags'));
const arnOf = (name: string) => `${interp(attr('aws_secretsmanager_secret', name, 'arn'))}:password::`;

const GOLDEN = join(import.meta.dirname, '..', 'golden');
const CASES = {
  'prod-two-domains-alb2': prodTenant,
  'dev-no-domains': devTenant,
  'prod-tier-change': prodTenantUpgraded,
} as const;

/** `UPDATE_GOLDEN=1 npx vitest run src/contexts/instances/terraform` rewrites the golden files. */
function golden(name: string, files: Readonly<Record<string, string>>): Record<string, string> {
  const dir = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  }
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
}

const json = (text: string | undefined): Record<string, Record<string, unknown>> => JSON.parse(text ?? '{}');

describe('generateTenantFolder', () => {
  for (const [name, input] of Object.entries(CASES)) {
    it(`${name}: equals its golden files byte for byte, and the checker finds nothing`, () => {
      const { folder, files } = generateTenantFolder(input);
      expect(folder).toBe(`tenants/${input.tenantId}`);
      expect(files).toEqual(golden(name, files));
      expect(checkTerraform(files)).toEqual([]);
    });
  }

  it('a plan change alters only the tier locals', () => {
    const before = generateTenantFolder(prodTenant).files;
    const after = generateTenantFolder(prodTenantUpgraded).files;
    const changedFiles = Object.keys(before).filter((file) => before[file] !== after[file]);
    expect(changedFiles).toEqual(['tenant.tf.json']);
    const [was, now] = [json(before['tenant.tf.json']).locals, json(after['tenant.tf.json']).locals];
    const changedKeys = Object.keys(now ?? {}).filter(
      (k) => JSON.stringify(was?.[k]) !== JSON.stringify(now?.[k]),
    );
    expect(changedKeys.sort()).toEqual([...TIER_LOCALS].sort());
  });

  it('a suspended tenant has autoscaling bounds 0/0 and nothing else changes', () => {
    const running = json(generateTenantFolder(prodTenant).files['tenant.tf.json']).locals;
    const parked = json(
      generateTenantFolder({ ...prodTenant, suspended: true }).files['tenant.tf.json'],
    ).locals;
    expect(parked).toEqual({ ...running, desired_count: 0, min_capacity: 0, max_capacity: 0 });
  });

  it('names the ECS service so the tenant is recoverable from the name or the ARN', () => {
    const name = serviceName('prod', prodTenant.tenantId);
    expect(name).toBe('bbws-prod-tenant-01JD8ZQ4M6Y7X3K2P9R5T1V0WA');
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    expect(tenantOfService(`arn:aws:ecs:af-south-1:093646564004:service/bbws-cluster-prod/${name}`)).toEqual({
      environment: 'prod',
      tenantId: prodTenant.tenantId,
    });
    expect(tenantOfService('some-other-service')).toBeUndefined();
    const locals = json(generateTenantFolder(prodTenant).files['tenant.tf.json']).locals;
    expect(locals?.service_name).toBe(name);
  });

  it('tags every taggable resource explicitly and through the provider default_tags', () => {
    const { files } = generateTenantFolder(prodTenant);
    const aws =
      PROVIDERS_SCHEMA.provider_schemas['registry.terraform.io/hashicorp/aws']?.resource_schemas ?? {};
    let tagged = 0;
    for (const text of Object.values(files)) {
      for (const [type, byName] of Object.entries(json(text).resource ?? {})) {
        if (!aws[type]?.block.attributes?.tags) continue;
        for (const body of Object.values(byName as Record<string, { tags?: unknown }>)) {
          expect(body.tags, type).toBe(TAGS);
          tagged += 1;
        }
      }
    }
    expect(tagged).toBeGreaterThanOrEqual(10);
    expect(json(files['providers.tf.json']).provider?.aws).toMatchObject({ default_tags: { tags: TAGS } });
    expect(json(files['tenant.tf.json']).locals?.tags).toEqual({
      'bbws:environment': 'prod',
      'bbws:managed-by': 'bbws-control-plane',
      'bbws:tenant-id': prodTenant.tenantId,
    });
  });

  it('hands secrets to the container only by ARN, and outputs no secret', () => {
    const { files } = generateTenantFolder(prodTenant);
    const container = json(files['service.tf.json']).locals?.container_definitions as Array<{
      secrets: Array<{ name: string; valueFrom: string }>;
      environment: Array<{ name: string }>;
    }>;
    expect(container[0]?.secrets).toEqual([
      { name: 'BBWS_APP_PASSWORD', valueFrom: arnOf('app_password') },
      { name: 'WORDPRESS_DB_PASSWORD', valueFrom: arnOf('database') },
    ]);
    expect(files['service.tf.json']).not.toContain('random_password');
    expect(files['outputs.tf.json']).not.toContain('random_password');
    expect(Object.keys(json(files['outputs.tf.json']).output ?? {})).toEqual(
      expect.arrayContaining([
        'service_arn',
        'target_group_arn',
        'efs_access_point_id',
        'app_password_secret_arn',
      ]),
    );
  });

  it('uses every tenant local, and the checker notices any one of them missing', () => {
    const { files } = generateTenantFolder(prodTenant);
    const tenant = json(files['tenant.tf.json']);
    for (const name of Object.keys(tenant.locals ?? {})) {
      const { [name]: _, ...rest } = tenant.locals ?? {};
      const problems = checkTerraform({ ...files, 'tenant.tf.json': JSON.stringify({ locals: rest }) });
      expect(problems.join('\n'), name).toContain(`reference to undeclared local "local.${name}"`);
    }
  });

  it('reads the tenant settings back from the pushed files', () => {
    const { folder, files } = generateTenantFolder({ ...prodTenant, suspended: true });
    const withFolder = Object.fromEntries(Object.entries(files).map(([n, c]) => [`${folder}/${n}`, c]));
    expect(readTenantSettings(withFolder)).toEqual({
      tenantId: prodTenant.tenantId,
      environment: 'prod',
      serviceName: serviceName('prod', prodTenant.tenantId),
      alb: 2,
      priority: 405,
      domains: ['www.acme.co.za', 'acme.co.za'],
      task: { cpu: 1024, memoryMiB: 2048 },
      scaling: { desiredCount: 0, minCount: 0, maxCount: 0 },
      storageGiB: 50,
    });
    expect(() => readTenantSettings({ 'tenant.tf.json': '{"locals": {}}' })).toThrow();
  });

  it('writes one state key per tenant and environment, with the lock table', () => {
    const backend = json(generateTenantFolder(devTenant).files['backend.tf.json']).terraform?.backend;
    expect(backend).toEqual({
      s3: {
        bucket: 'bbws-terraform-state-dev',
        key: `tenants/dev/${devTenant.tenantId}/terraform.tfstate`,
        region: 'af-south-1',
        dynamodb_table: 'bbws-terraform-locks-dev',
        encrypt: true,
      },
    });
  });

  it.each([
    ['a Fargate-invalid cpu/memory pair', { tier: { ...prodTenant.tier, cpu: 256, memoryMiB: 4096 } }],
    ['min above desired', { tier: { ...prodTenant.tier, minCount: 3 } }],
    ['a tenant id that is not a ULID', { tenantId: 'tenant-1' }],
    [
      'ten domains',
      { site: { ...prodTenant.site, domains: Array.from({ length: 10 }, (_, i) => `s${i}.acme.com`) } },
    ],
    ['a repeated domain', { site: { ...prodTenant.site, domains: ['acme.com', 'acme.com'] } }],
    ['an image without a digest', { image: 'wordpress:latest' }],
    [
      'a site URL with an interpolation',
      { site: { ...prodTenant.site, url: `https://acme.com/${interp(local('x'))}` } },
    ],
    ['a priority without room for its block', { albSlot: { alb: 1, priority: 49_999 } }],
  ])('rejects %s', (_, change) => {
    const input = { ...prodTenant, ...change } as TenantTerraformInput;
    expect(TenantTerraformInput.safeParse(input).success).toBe(false);
    expect(() => generateTenantFolder(input)).toThrow();
  });
});
