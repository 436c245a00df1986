import { request } from 'node:http';
import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devTenant, prodTenant } from '../../terraform/test-support/fixtures.js';
import { type Harness, startHarness } from '../test-support/harness.js';
import { waitFor } from '../test-support/wait.js';

let h: Harness;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;
let secrets: SecretsManagerClient;
const prodService = `bbws-prod-tenant-${prodTenant.tenantId}`;

async function provision(input: typeof prodTenant, action: 'apply' | 'destroy' = 'apply') {
  if (action === 'apply') await h.push(input);
  const { data } = await h.octokit.rest.actions.createWorkflowDispatch({
    owner: 'bbws-test',
    repo: `bbws-environment-${input.environment}`,
    workflow_id: 'deploy-tenant.yml',
    ref: 'main',
    inputs: { tenant_id: input.tenantId, action, event_id: `E-${action}` },
    return_run_details: true,
  });
  await h.standIns.github.idle();
  return data;
}

beforeAll(async () => {
  h = await startHarness();
  ecs = new ECSClient(h.clients);
  scaling = new ApplicationAutoScalingClient(h.clients);
  secrets = new SecretsManagerClient(h.clients);
  await provision(prodTenant);
  await provision(devTenant);
});
afterAll(async () => {
  for (const client of [ecs, scaling, secrets]) client?.destroy();
  await h?.stop();
});

const alb = (environment: 'dev' | 'prod') => h.standIns.albs[environment].url;
const get = (environment: 'dev' | 'prod', path: string, headers: Record<string, string>) =>
  fetch(`${alb(environment)}${path}`, { headers });
/** fetch drops a Host header (a forbidden header name): node:http sends it as a browser would for a site. */
const getByHost = (environment: 'dev' | 'prod', path: string, host: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${alb(environment)}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the ALB stand-in in front of a WordPress stand-in per running service', () => {
  it("routes by X-Tenant-Id to the tenant's WordPress, which takes the application password from the secret", async () => {
    const tenant = { 'x-tenant-id': prodTenant.tenantId };
    const home = await waitFor(
      () => get('prod', '/', tenant),
      (r) => r.status === 200,
    );
    expect(await home.text()).toContain('https://www.acme.co.za');
    const index = await (await get('prod', '/wp-json/', tenant)).json();
    expect(index).toMatchObject({
      url: 'https://www.acme.co.za',
      namespaces: expect.arrayContaining(['wp/v2']),
    });
    // Site management reads the password as in AWS: GetSecretValue of the secret the Terraform declares.
    const secret = await secrets.send(
      new GetSecretValueCommand({
        SecretId: `bbws/prod/tenants/${prodTenant.tenantId}/wordpress-app-password`,
      }),
    );
    const { username, password } = JSON.parse(secret.SecretString ?? '{}') as Record<string, string>;
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    const me = await get('prod', '/wp-json/wp/v2/users/me', {
      ...tenant,
      authorization: basic(username ?? '', password ?? ''),
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ slug: 'bbws-platform' });
    const grouped = password?.replace(/(.{4})/g, '$1 ').trim() ?? '';
    expect(
      (
        await get('prod', '/?rest_route=/wp/v2/users/me', {
          ...tenant,
          authorization: basic('bbws-platform', grouped),
        })
      ).status,
    ).toBe(200);
    const wrong = await get('prod', '/wp-json/wp/v2/users/me', {
      ...tenant,
      authorization: basic('bbws-platform', 'x'.repeat(24)),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'rest_not_logged_in' });
    expect((await get('prod', '/wp-json/wp/v2/users/me', tenant)).status).toBe(401);
  });

  it('routes by Host for site domains; each tenant reaches only its own WordPress', async () => {
    const byHost = await waitFor(
      () => getByHost('prod', '/wp-json/', 'acme.co.za:443'),
      (r) => r.status === 200,
    );
    expect(JSON.parse(byHost.body)).toMatchObject({ url: 'https://www.acme.co.za' });
    const dev = await waitFor(
      () => get('dev', '/wp-json/', { 'x-tenant-id': devTenant.tenantId }),
      (r) => r.status === 200,
    );
    expect(await dev.json()).toMatchObject({ url: devTenant.site.url });
  });

  it("answers an unknown tenant with the ALB's default 404, also a tenant of another environment", async () => {
    expect((await get('prod', '/', { 'x-tenant-id': '01JD9A0B1C2D3E4F5G6H7J8K9Z' })).status).toBe(404);
    expect((await get('prod', '/', { 'x-tenant-id': devTenant.tenantId })).status).toBe(404);
    expect((await getByHost('prod', '/', 'unknown.example.com')).status).toBe(404);
  });

  it('answers a suspended tenant (desired 0, min and max 0) with 503, and again once resumed', async () => {
    const tenant = { 'x-tenant-id': prodTenant.tenantId };
    const target = (min: number, max: number) =>
      scaling.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'ecs',
          ResourceId: `service/bbws-prod/${prodService}`,
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: min,
          MaxCapacity: max,
        }),
      );
    await ecs.send(new UpdateServiceCommand({ cluster: 'bbws-prod', service: prodService, desiredCount: 0 }));
    await target(0, 0);
    await waitFor(
      () => get('prod', '/', tenant),
      (r) => r.status === 503,
    );
    await target(2, 6);
    await waitFor(
      () => get('prod', '/', tenant),
      (r) => r.status === 200,
    );
  });

  it('routes nothing to a destroyed tenant: its rules and service are gone', async () => {
    await provision(devTenant, 'destroy');
    await waitFor(
      () => get('dev', '/', { 'x-tenant-id': devTenant.tenantId }),
      (r) => r.status === 404,
    );
    const { services } = await ecs.send(
      new DescribeServicesCommand({
        cluster: 'bbws-dev',
        services: [`bbws-dev-tenant-${devTenant.tenantId}`],
      }),
    );
    expect(services?.[0]?.status).not.toBe('ACTIVE');
  });
});
