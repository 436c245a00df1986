import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { type RecordedDecision, runtimeRoles } from '#src/platform/local/iam/function-roles.js';
import type { PolicyDocument } from '#src/platform/local/iam/policy.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { eventually } from '#test/runtime.js';

/**
 * The local runtime enforces each function's role from the packaged template. To show that a missing grant fails
 * as it would in AWS, this runtime runs tenantApi WITHOUT the statements on the event table and on the projection
 * registry (everything else as packaged); its decisions are therefore not written to the coverage record
 * (function-roles.ts).
 */
const STAGE = 'iam';
const EVENT_TABLE = `table/bbws-event-store-${STAGE}`;
const REGISTRY_TABLE = `table/bbws-projection-registry-${STAGE}`;
let runtime: RunningRuntime;
let keys: LocalKeys;
let client: ReturnType<typeof documentClient>;
const decisions: RecordedDecision[] = [];

function withoutStatementsOn(tables: string[], policies: readonly PolicyDocument[]): PolicyDocument[] {
  return policies.map((policy) => ({
    ...policy,
    Statement: [policy.Statement]
      .flat()
      .filter((s) => ![s.Resource ?? []].flat().some((r) => tables.some((table) => r.endsWith(table)))),
  }));
}

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-iam-'));
  runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 10,
    logLevel: 'ERROR',
    iam: {
      onDecision: (decision) => decisions.push(decision),
      adjustPolicies: (fn, policies) =>
        fn === 'tenantApi' ? withoutStatementsOn([EVENT_TABLE, REGISTRY_TABLE], policies) : [...policies],
    },
  });
  keys = localKeys(join(stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

const createTenant = () =>
  fetch(`${runtime.httpUrl}/v1.0/tenants`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${signLocalToken(keys, { sub: 'op-1', email: 'op@x.test', 'cognito:groups': ['Operator'] })}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      organizationName: `Org ${Date.now()}`,
      contactEmail: 'a@b.test',
      environment: 'dev',
    }),
  });

const denied = (fn: string) => decisions.filter((d) => d.function === fn && !d.allowed);

describe("the local runtime enforces each function's role", () => {
  it('fails a handler whose role lacks a grant, with AccessDeniedException as AWS would, writing nothing', async () => {
    const response = await createTenant();
    expect(response.status).toBe(500);
    const [first] = denied('tenantApi');
    expect(first).toMatchObject({
      action: expect.stringMatching(/^dynamodb:(Query|GetItem|PutItem)$/),
      resource: `arn:aws:dynamodb:af-south-1:000000000000:${EVENT_TABLE}`,
      allowed: false,
      expected: false,
    });
    expect(first?.reason).toContain('no identity-based policy allows');
    const { Count } = await client.send(
      new QueryCommand({
        TableName: tableName('TenantsV1Table', STAGE),
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :all',
        ExpressionAttributeValues: { ':all': 'TENANTS' },
      }),
    );
    expect(Count).toBe(0);
  });

  it('checks the packaged role itself: the tenant API may read the read model, never write it', async () => {
    const write = () =>
      client.send(
        new PutCommand({ TableName: tableName('TenantsV1Table', STAGE), Item: { PK: 'x', SK: 'y' } }),
      );
    const error = await runtime.runAs('tenantApi', write, { expectDenials: true }).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /^AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/TenantApiExecutionRole\/bbws-control-plane-iam-tenantApi is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:af-south-1:000000000000:table\/bbws-tenants-iam because no identity-based policy allows the dynamodb:PutItem action$/,
    );
    expect(decisions.at(-1)).toMatchObject({
      function: 'tenantApi',
      action: 'dynamodb:PutItem',
      expected: true,
    });
    // the projection dispatcher's role may write it; outside any invocation (operators, tests) nothing is checked
    await runtime.runAs('projectionDispatcher', write);
    await write();
  });

  it("runs the event source mappings' own calls with their function's role, as Lambda's pollers do", async () => {
    await eventually(() => {
      for (const fn of ['projectionDispatcher', 'eventPublisher']) {
        const actions = new Set(decisions.filter((d) => d.function === fn && d.allowed).map((d) => d.action));
        expect(
          [...actions].filter((a) => /ListStreams|DescribeStream|GetShardIterator|GetRecords/.test(a)).sort(),
        ).toEqual([
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ]);
      }
    });
    expect(denied('projectionDispatcher')).toEqual([]);
    expect(denied('eventPublisher')).toEqual([]);
  });

  it("sees every function's own calls: another function's warm cache hides none (each has its own modules)", async () => {
    // A tenant written by an operator's tooling (no function), then projected by the projection dispatcher, which
    // reads the projection registry (and caches the entry 2 s) to find the table. Sharing one registry instance,
    // tenantApi's list would be answered from that warm entry without the GetItem its role lacks here; in AWS
    // each function is its own process, so its first list must read the registry itself, and be denied.
    const tenantId = ulid();
    const store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
    await new CommandRunner({ store, clock: () => new Date(), newEventId: ulid }).run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      metadata: { correlationId: ulid(), actor: 'seed' },
      command: {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Scoped ${tenantId}`,
        contactEmail: 'scoped@iam.test',
        environment: 'dev',
      },
      result: () => null,
    });
    await eventually(async () => {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName('TenantsV1Table', STAGE),
          Key: { PK: `TENANT#${tenantId}`, SK: 'METADATA' },
        }),
      );
      expect(Item).toBeDefined();
    }, 60_000); // the dispatcher's first invocation loads its own modules
    const registryReads = (fn: string) =>
      decisions.filter(
        (d) => d.function === fn && d.action === 'dynamodb:GetItem' && d.resource.endsWith(REGISTRY_TABLE),
      );
    expect(registryReads('projectionDispatcher').some((d) => d.allowed)).toBe(true);

    const list = await fetch(`${runtime.httpUrl}/v1.0/tenants`, {
      headers: {
        authorization: `Bearer ${signLocalToken(keys, { sub: 'op-2', 'cognito:groups': ['Operator'] })}`,
      },
    });
    expect(list.status).toBe(500);
    expect(registryReads('tenantApi')).toEqual([
      expect.objectContaining({
        allowed: false,
        resource: `arn:aws:dynamodb:af-south-1:000000000000:${REGISTRY_TABLE}`,
      }),
    ]);
  });

  it('is on unless switched off explicitly', () => {
    const functions = runtime.wiring.functions.map((f) => f.name);
    expect(runtimeRoles(process.cwd(), STAGE, functions, { enforce: false })).toBeUndefined();
    expect([...(runtimeRoles(process.cwd(), STAGE, functions)?.keys() ?? [])].sort()).toEqual(
      [...functions].sort(),
    );
  });
});
