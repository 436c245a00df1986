import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { metadata } from '#test/fixtures.js';
import { eventually, startTestRuntime } from '#test/runtime.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { ecsFact, RUN, SHA } from '../domain/transition-table.js';

// The instance API on the local runtime: real JWTs, the local HTTP API, IAM enforced per function, the projection
// dispatcher feeding bbws-tenant-resources. What the provisioner and ECS sync will record is recorded here directly.

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let keys: LocalKeys;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const token = (sub: string, groups: string[] = []) =>
  signLocalToken(keys, { sub, ...(groups.length ? { 'cognito:groups': groups } : {}) });
const operator = () => token('op-1', ['Operator']);
const admin = () => token('admin-1', ['Admin']);

async function newTenant(environment = 'prod'): Promise<string> {
  const reply = await api('POST', '/tenants', {
    token: operator(),
    body: { organizationName: `Instances ${ulid()}`, contactEmail: 'ops@example.test', environment },
  });
  expect(reply.status).toBe(201);
  return String(reply.body.tenantId);
}
const assign = async (tenantId: string, userId: string, role: string) =>
  expect(
    (await api('POST', `/tenants/${tenantId}/users`, { token: operator(), body: { userId, role } })).status,
  ).toBe(201);

/** What the provisioner and the ECS state sync record (they are other services': recorded here directly). */
async function record(instanceId: string, outcome: 'succeeded' | 'failed') {
  const steps: InstanceCommand[] = [
    { type: 'RecordCommit', change: 1, commitSha: SHA, changed: true },
    { type: 'RecordWorkflowQueued', change: 1, ...RUN },
    { type: 'RecordWorkflowOutcome', change: 1, runId: RUN.runId, outcome, conclusion: outcome },
    ...(outcome === 'succeeded'
      ? // dated by ECS after the instance was requested (an older fact is a predecessor's: dropped)
        [
          {
            type: 'RecordEcsEvent',
            fact: { ...ecsFact('SERVICE_STEADY_STATE', 1), at: new Date().toISOString() },
          } as const,
        ]
      : []),
  ];
  for (const command of steps) {
    await runner.run({
      decider: instanceDecider,
      streamId: instanceStream.id(instanceId),
      command,
      metadata: metadata({ actor: 'provisioner' }),
      result: () => null,
    });
  }
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  keys = localKeys(join(runtime.stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  const store = new DynamoEventStore(client, tableName('EventStoreTable', 'rt'), catalogue);
  runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

describe('instance API on the local runtime', () => {
  it('serves the plans catalogue without a token', async () => {
    const plans = await api('GET', '/plans');
    expect(plans).toMatchObject({
      status: 200,
      body: { currency: 'ZAR', vatRatePercent: 15, defaultPlanId: 'starter' },
    });
    expect((plans.body.items as { planId: string }[]).map((p) => p.planId)).toEqual([
      'starter',
      'business',
      'enterprise',
    ]);
  });

  it('enforces the role matrix on every route', async () => {
    const id = await newTenant('prod');
    const other = await newTenant('prod');
    await assign(id, 'ta', 'TenantAdmin');
    await assign(id, 'tm', 'TenantMember');
    await assign(other, 'outsider', 'TenantAdmin');
    const active = await api('POST', `/tenants/${id}/instances`, {
      token: operator(),
      body: { environment: 'prod' },
      headers: { 'idempotency-key': `matrix-${ulid()}` },
    });
    expect(active.status).toBe(202);
    const live = String(active.body.instanceId);
    await record(live, 'succeeded');
    const failedTenant = await newTenant('prod');
    await assign(failedTenant, 'ta', 'TenantAdmin');
    await assign(failedTenant, 'tm', 'TenantMember');
    const failed = String(
      (
        await api('POST', `/tenants/${failedTenant}/instances`, {
          token: operator(),
          body: { environment: 'prod' },
        })
      ).body.instanceId,
    );
    await record(failed, 'failed');
    const who = {
      Admin: admin(),
      Operator: operator(),
      TenantAdmin: token('ta'),
      TenantMember: token('tm'),
      outsider: token('outsider'),
    };
    const one = `/tenants/${id}/instances/${live}`;
    const failedOne = `/tenants/${failedTenant}/instances/${failed}`;
    // expected: [Admin, Operator, TenantAdmin, TenantMember, member of another tenant]; all 401 without a token
    const matrix: [string, string, unknown, number[]][] = [
      ['GET', `/tenants/${id}/instances`, undefined, [200, 200, 200, 200, 404]],
      ['GET', one, undefined, [200, 200, 200, 200, 404]],
      ['GET', `${one}/status`, undefined, [200, 200, 200, 200, 404]],
      ['POST', `/tenants/${id}/instances`, { environment: 'dev' }, [202, 409, 403, 403, 404]],
      ['PATCH', one, { planId: 'starter' }, [200, 200, 403, 403, 404]],
      ['POST', `${one}/scale`, { desiredCount: 2 }, [202, 202, 202, 403, 404]],
      ['POST', `${failedOne}/retry`, undefined, [202, 409, 409, 403, 404]],
      ['GET', '/instances?state=ACTIVE&environment=prod', undefined, [200, 200, 403, 403, 403]],
      ['DELETE', one, undefined, [202, 202, 403, 403, 404]],
    ];
    for (const [method, path, body, expected] of matrix) {
      expect(
        (await api(method, path, body === undefined ? {} : { body })).status,
        `${method} ${path} without a token`,
      ).toBe(401);
      const got: number[] = [];
      for (const role of Object.keys(who) as (keyof typeof who)[]) {
        got.push(
          (await api(method, path, { token: who[role], ...(body === undefined ? {} : { body }) })).status,
        );
      }
      expect(got, `${method} ${path} as ${Object.keys(who).join(', ')}`).toEqual(expected);
    }
  });

  it('lists from the read model, follows the instance to ACTIVE, and refuses a tenant delete while it owns one', async () => {
    const id = await newTenant('prod');
    const created = await api('POST', `/tenants/${id}/instances`, {
      token: operator(),
      body: { environment: 'prod' },
    });
    const instanceId = String(created.body.instanceId);
    expect((await api('GET', `/tenants/${id}/instances`, { token: operator() })).body.items).toMatchObject([
      { instanceId, state: 'PENDING_PROVISIONING' },
    ]);
    await record(instanceId, 'succeeded');
    expect(
      (await api('GET', `/tenants/${id}/instances/${instanceId}/status`, { token: operator() })).body,
    ).toMatchObject({
      state: 'ACTIVE',
      lastEcsEvent: { eventName: 'SERVICE_STEADY_STATE' },
      workflowRun: { id: RUN.runId },
    });
    await eventually(async () => {
      const listed = await api('GET', '/instances?state=ACTIVE&environment=prod', { token: admin() });
      expect(listed.body.items?.map((i) => i.instanceId)).toContain(instanceId);
    });
    expect(await api('DELETE', `/tenants/${id}`, { token: operator() })).toMatchObject({
      status: 409,
      body: { code: 'tenant_owns_resources' },
    });
    expect(
      (await api('POST', `/tenants/${id}/park`, { token: operator(), body: { reason: 'unpaid' } })).status,
    ).toBe(200);
    expect(
      (
        await api('POST', `/tenants/${id}/instances/${instanceId}/scale`, {
          token: operator(),
          body: { desiredCount: 2 },
        })
      ).body,
    ).toMatchObject({ status: 409, code: 'tenant_parked' });
  });
});
