import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { cliWiring } from '#src/platform/cli/cli-wiring.js';
import { rebuildCommand, status, switchCommand } from '#src/platform/cli/projections.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import type { RecordedDecision } from '#src/platform/local/iam/function-roles.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { eventually } from '#test/runtime.js';

/**
 * The worked migration of docs/operations.md (`projections rebuild tenants 2`, then `projections switch tenants 2`)
 * on the whole local runtime, which enforces each function's role from the packaged template: with v2 active, the
 * tenant API must read the v2 table and the projection dispatcher must write it, each under its own role (a missing
 * grant fails with AccessDeniedException, as in AWS). The CLI runs with operator credentials (see `bbws` below).
 * This runtime is test/runtime.ts's startTestRuntime plus a listener for the IAM decisions (policies untouched, so
 * they also go to the coverage record of scripts/iam-coverage.mjs).
 */
const STAGE = 'wm';
const V1_TABLE = tableName('TenantsV1Table', STAGE);
const V2_TABLE = tableName('TenantsV2Table', STAGE);
const REGISTRY_TTL_MS = 2000; // src/platform/cli/cli-wiring.ts and the functions' registry cache
const DOMAIN = 'acme-wm.test';
const USER = 'wm-user';

let runtime: RunningRuntime;
let keys: LocalKeys;
let client: ReturnType<typeof documentClient>;
const decisions: RecordedDecision[] = [];
const before: string[] = []; // tenants created before the migration
let switchedAt = 0; // index into `decisions` once readers use v2

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-worked-migration-'));
  runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 10,
    logLevel: 'ERROR',
    iam: { onDecision: (decision) => decisions.push(decision) },
  });
  keys = localKeys(join(stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

async function api(method: string, path: string, token: string, body?: unknown, headers = {}) {
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} } as Reply;
}

const operator = () =>
  signLocalToken(keys, { sub: 'wm-op', email: 'op@wm.test', 'cognito:groups': ['Operator'] });
const user = () => signLocalToken(keys, { sub: USER, email: `${USER}@wm.test` });

async function createTenant(name: string, contactEmail: string): Promise<string> {
  const reply = await api('POST', '/tenants', operator(), {
    organizationName: name,
    contactEmail,
    environment: 'dev',
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return String(reply.body.tenantId);
}

const assign = async (tenantId: string) =>
  expect(
    (await api('POST', `/tenants/${tenantId}/users`, operator(), { userId: USER, role: 'TenantMember' }))
      .status,
  ).toBe(201);

const ids = (reply: Reply) => (reply.body.items ?? []).map((item) => String(item.tenantId)).sort();

/**
 * `npm run bbws -- projections <command> tenants [2]` in this process: the CLI's own wiring (cliWiring, read from the
 * environment the runtime set: its DynamoDB endpoint, stage and keys) and command functions, as main.ts calls them.
 * Outside any function's invocation, so with operator credentials (nothing checked), not a Lambda role. What it
 * prints is returned.
 */
async function bbws(run: (w: ReturnType<typeof cliWiring>) => Promise<number>): Promise<string> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...line) => void printed.push(line.join(' ')));
  try {
    expect(await run(cliWiring())).toBe(0);
  } finally {
    log.mockRestore();
  }
  return printed.join('\n');
}

/** The tenants of a contact e-mail domain: v2's index GSI3 (read here with operator credentials). */
async function byDomain(domain: string): Promise<string[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: V2_TABLE,
      IndexName: 'GSI3',
      KeyConditionExpression: 'GSI3PK = :d',
      ExpressionAttributeValues: { ':d': `DOMAIN#${domain}` },
    }),
  );
  return Items.map((item) => String(item.tenantId)).sort();
}

const row = async (table: string, tenantId: string, SK = 'METADATA') =>
  (await client.send(new GetCommand({ TableName: table, Key: { PK: `TENANT#${tenantId}`, SK } }))).Item;

const onTable = (table: string) => (d: RecordedDecision) =>
  new RegExp(`:table/${table}(/index/.*)?$`).test(d.resource);
const denials = (fn: string) => decisions.filter((d) => d.function === fn && !d.allowed);

describe('the worked migration (tenants v1 -> v2) under the packaged roles', () => {
  it('starts on v1: tenants created through the API are listed from v1', async () => {
    for (const [i, name] of ['Alpha', 'Bravo', 'Charlie'].entries())
      before.push(await createTenant(`WM ${name}`, `owner${i}@${DOMAIN.toUpperCase()}`));
    await assign(before[0] as string);
    await assign(before[1] as string);
    await eventually(async () => {
      expect(ids(await api('GET', '/tenants', operator()))).toEqual([...before].sort());
      expect(ids(await api('GET', `/users/${USER}/tenants`, user()))).toEqual(before.slice(0, 2).sort());
    });
    expect(decisions.some((d) => d.function === 'tenantApi' && d.allowed && onTable(V1_TABLE)(d))).toBe(true);
    expect(decisions.some((d) => onTable(V2_TABLE)(d))).toBe(false);
  });

  it('rebuilds v2 and switches to it with the CLI, as docs/operations.md shows', async () => {
    const rebuilt = await bbws((w) => rebuildCommand(w, 'tenants', 2, undefined, ''));
    expect(rebuilt).toMatch(/rebuilt tenants v2: \d+ events, 3 streams; ready to switch/);
    expect(await byDomain(DOMAIN)).toEqual([...before].sort());
    expect(await row(V2_TABLE, before[0] as string)).toMatchObject({ contactDomain: DOMAIN });

    const switched = await bbws((w) => switchCommand(w, 'tenants', 2, ''));
    expect(switched).toContain('tenants: readers use v2 within 2000 ms; v1 is retained until dropped');
    expect(await bbws(status)).toMatch(
      new RegExp(`active +v2 +${V2_TABLE}\\n +versions +v1, v2 +\\(retained: v1\\)`),
    );
    // every function's cached registry entry (2 s) has expired: from here on, readers and the dispatcher use v2
    await new Promise((resolve) => setTimeout(resolve, REGISTRY_TTL_MS + 200));
    switchedAt = decisions.length;
  });

  it("with v2 active, the tenant API answers the operator's list and a user's tenants from v2, under its role", async () => {
    const everyTenant = await api('GET', '/tenants', operator());
    const usersTenants = await api('GET', `/users/${USER}/tenants`, user());
    const membersList = await api('GET', '/tenants', user());
    // a grant missing from the packaged role: each call is denied with AccessDeniedException (named here) -> 500
    expect(denials('tenantApi')).toEqual([]);
    expect([everyTenant.status, usersTenants.status, membersList.status]).toEqual([200, 200, 200]);
    expect(ids(everyTenant)).toEqual([...before].sort());
    expect(ids(usersTenants)).toEqual(before.slice(0, 2).sort());
    expect(ids(membersList)).toEqual(before.slice(0, 2).sort());

    const reads = decisions.slice(switchedAt).filter((d) => d.function === 'tenantApi' && d.allowed);
    expect(reads.filter(onTable(V2_TABLE)).map((d) => d.action)).toContain('dynamodb:Query');
    expect(reads.filter(onTable(V1_TABLE))).toEqual([]);
  });

  it('feeds v2 (not v1) through the projection dispatcher: a tenant created and one updated after the switch', async () => {
    const after = await createTenant('WM Delta', `owner@${DOMAIN}`);
    await assign(after);
    const updated = before[2] as string;
    const current = await api('GET', `/tenants/${updated}`, operator());
    const patched = await api(
      'PATCH',
      `/tenants/${updated}`,
      operator(),
      { contactEmail: 'ops@Moved-WM.test' },
      { 'if-match': String(current.headers.get('etag')) },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);

    await eventually(async () => {
      expect(await byDomain(DOMAIN)).toEqual([...before.slice(0, 2), after].sort());
      expect(await byDomain('moved-wm.test')).toEqual([updated]);
      expect(await row(V2_TABLE, after, 'MARKER#ALL')).toMatchObject({ contactDomain: DOMAIN });
      expect(await row(V2_TABLE, after, `USER#${USER}`)).toMatchObject({ role: 'TenantMember' });
    });
    expect(await row(V2_TABLE, after)).toMatchObject({ contactDomain: DOMAIN, GSI3PK: `DOMAIN#${DOMAIN}` });
    // v1 is retained, no longer fed
    expect(await row(V1_TABLE, after)).toBeUndefined();
    expect(await row(V1_TABLE, updated)).toMatchObject({ contactEmail: `owner2@${DOMAIN.toUpperCase()}` });

    await eventually(async () => {
      expect(ids(await api('GET', '/tenants', operator()))).toEqual([...before, after].sort());
      expect(ids(await api('GET', `/users/${USER}/tenants`, user()))).toEqual(
        [...before.slice(0, 2), after].sort(),
      );
    });
    const writes = decisions
      .slice(switchedAt)
      .filter((d) => d.function === 'projectionDispatcher' && d.allowed && onTable(V2_TABLE)(d));
    expect(new Set(writes.map((d) => d.action))).toContain('dynamodb:PutItem');
    expect(denials('projectionDispatcher')).toEqual([]);
    expect(denials('tenantApi')).toEqual([]);
  });
});
