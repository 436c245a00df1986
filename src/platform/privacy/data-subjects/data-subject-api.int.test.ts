import { join } from 'node:path';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { applyChanges, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { leakForms } from '#src/platform/event-store/personal-data.fixtures.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { app, tableName } from '#src/platform/infra/app.js';
import { eventually, startTestRuntime } from '#test/runtime.js';

/**
 * The data-subject API on the local runtime (every function under its packaged role, KMS through the stand-in):
 * the role matrix cell by cell, finding and exporting a person, and an erasure from the request to its completion.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let keys: LocalKeys;
let client: ReturnType<typeof documentClient>;
let store: DynamoEventStore;
let directory: LocalIdentityDirectory;
const STAGE = 'rt';
const ERASED = 'erased@erased.invalid';

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
const admin = () => token('admin-1', ['Admin']);
const operator = () => token('op-1', ['Operator']);
const email = (who: string) => `${who}.${ulid()}@Privacy.test`;

async function newTenant(contactEmail: string, headers: Record<string, string> = {}) {
  const reply = await api('POST', '/tenants', {
    token: operator(),
    headers,
    body: { organizationName: `Org ${ulid()}`, contactEmail, environment: 'dev' },
  });
  expect(reply.status).toBe(201);
  return String(reply.body.tenantId);
}
const assign = async (tenantId: string, body: object) =>
  expect((await api('POST', `/tenants/${tenantId}/users`, { token: operator(), body })).status).toBe(201);

/** A stream's commit items exactly as stored. */
async function commitItems(streamId: string): Promise<string[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName('EventStoreTable', STAGE),
      KeyConditionExpression: 'pk = :pk AND sk >= :one',
      ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => JSON.stringify(item));
}

/** Every item of every table of the runtime, as JSON. */
async function everything(): Promise<string> {
  const all: unknown[] = [];
  for (const id of Object.keys(app.tables)) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: tableName(id, STAGE), ExclusiveStartKey, ConsistentRead: true }),
      );
      all.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return JSON.stringify(all);
}

async function tenantRows(tenantId: string): Promise<Row[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName('TenantsV1Table', STAGE),
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
      ConsistentRead: true,
    }),
  );
  return (Items as Row[]).sort((a, b) => (a.SK < b.SK ? -1 : 1));
}

async function rebuiltRows(tenantId: string): Promise<Row[]> {
  const rows = new Map<string, Row>();
  for (const event of await store.readStream(`tenant-${tenantId}`)) {
    applyChanges(rows, tenantsV1.apply(rows, event));
  }
  return [...rows.values()].sort((a, b) => (a.SK < b.SK ? -1 : 1));
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  keys = localKeys(join(runtime.stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
  directory = new LocalIdentityDirectory(join(runtime.stateDir, 'identity', 'users.json'));
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

describe('data-subject API', () => {
  it('enforces the role matrix on every route (Admin only)', async () => {
    const [found, erased] = [email('matrix'), email('matrix-erased')];
    const own = await newTenant(found);
    const other = await newTenant(email('other'));
    await newTenant(erased);
    await assign(own, { userId: 'ta', role: 'TenantAdmin' });
    await assign(own, { userId: 'tm', role: 'TenantMember' });
    await assign(other, { userId: 'outsider', role: 'TenantAdmin' });
    const [foundId, erasedId] = [await store.keys.subjectIdOf(found), await store.keys.subjectIdOf(erased)];
    const who = [admin(), operator(), token('ta'), token('tm'), token('outsider')];
    // expected statuses: [Admin, Operator, TenantAdmin (own), TenantMember (own), member of other tenants]
    const matrix: [string, string, unknown, number[]][] = [
      ['GET', `/data-subjects?email=${encodeURIComponent(found)}`, undefined, [200, 403, 403, 403, 403]],
      ['GET', `/data-subjects/${foundId}`, undefined, [200, 403, 403, 403, 403]],
      ['POST', `/data-subjects/${erasedId}/erasure`, { reason: 'matrix' }, [202, 403, 403, 403, 403]],
    ];
    for (const [method, path, body, expected] of matrix) {
      const asNobody = await api(method, path, body === undefined ? {} : { body });
      expect(asNobody.status, `${method} ${path} without a token`).toBe(401);
      const got: number[] = [];
      // the Admin last: the erasure it may make must not change what the others see
      for (const caller of [...who.slice(1), who[0] as string]) {
        got.push(
          (await api(method, path, { token: caller, ...(body === undefined ? {} : { body }) })).status,
        );
      }
      expect([got[4], ...got.slice(0, 4)], `${method} ${path}`).toEqual(expected);
    }
  });

  it('finds a person by e-mail (their id only) and exports what the platform holds about them, decrypted', async () => {
    const person = email('Pat');
    const userId = `pat-${ulid()}`;
    await directory.addUser({ userId, email: person });
    const contactOf = await newTenant(person);
    const memberOf = await newTenant(email('someone'));
    await assign(memberOf, { email: person.toLowerCase(), role: 'TenantMember' });
    const subjectId = await store.keys.subjectIdOf(person);

    const found = await api('GET', `/data-subjects?email=${encodeURIComponent(person.toUpperCase())}`, {
      token: admin(),
    });
    expect(found).toMatchObject({ status: 200, body: { subjectId } });
    expect(Object.keys(found.body).sort()).toEqual(['_links', 'subjectId']);
    const unknown = `/data-subjects?email=${encodeURIComponent(email('nobody'))}`;
    expect((await api('GET', unknown, { token: admin() })).status).toBe(404);
    expect((await api('GET', '/data-subjects?email=not-an-address', { token: admin() })).status).toBe(400);
    expect((await api('GET', '/data-subjects/ds_nope', { token: admin() })).status).toBe(400);
    expect((await api('GET', `/data-subjects/ds_${'a'.repeat(26)}`, { token: admin() })).status).toBe(404);

    const exported = await eventually(async () => {
      const reply = await api('GET', `/data-subjects/${subjectId}`, { token: admin() });
      expect((reply.body.streams as unknown[])?.length).toBe(2);
      return reply;
    });
    expect(exported.body).toMatchObject({
      subjectId,
      status: 'held',
      erasures: [],
      downstream: [
        {
          context: 'tenants',
          holder: 'identity directory',
          records: [{ userId, email: person, attributes: { email: person } }],
        },
      ],
    });
    const streams = exported.body.streams as { streamId: string; values: Record<string, unknown>[] }[];
    expect(streams.find((s) => s.streamId === `tenant-${contactOf}`)?.values).toEqual([
      expect.objectContaining({ version: 1, type: 'TENANT_CREATED', path: 'contactEmail', value: person }),
    ]);
    expect(streams.find((s) => s.streamId === `tenant-${memberOf}`)?.values).toEqual([
      expect.objectContaining({ type: 'USER_ASSIGNED', path: 'email', value: person.toLowerCase() }),
    ]);
  });

  it('erases a person: unreadable at once, every stream marked, progress until complete, copies gone, commits unchanged', async () => {
    const [person, kept] = [email('Erin'), email('Kim')];
    const userId = `erin-${ulid()}`;
    await directory.addUser({ userId, email: person });
    const creation = {
      token: operator(),
      headers: { 'idempotency-key': `create-${ulid()}` },
      body: { organizationName: `Org ${ulid()}`, contactEmail: person, environment: 'dev' },
    };
    const created = await api('POST', '/tenants', creation);
    const contactOf = String(created.body.tenantId);
    const memberOf = await newTenant(kept);
    await assign(memberOf, { email: person, role: 'TenantAdmin' });
    const subjectId = await store.keys.subjectIdOf(person);
    await eventually(async () =>
      expect((await tenantRows(memberOf)).some((r) => r.email === person)).toBe(true),
    );
    const streams = [`tenant-${contactOf}`, `tenant-${memberOf}`];
    const before = await Promise.all(streams.map(commitItems));

    const request = { token: admin(), body: { reason: 'the person asked (ticket 4711)' } };
    const key = { 'idempotency-key': `erase-${ulid()}` };
    const erasure = await api('POST', `/data-subjects/${subjectId}/erasure`, { ...request, headers: key });
    expect(erasure).toMatchObject({
      status: 202,
      body: { subjectId, erasure: { status: 'erasing', requestedBy: 'admin-1', streams: { marked: 0 } } },
    });
    const again = await api('POST', `/data-subjects/${subjectId}/erasure`, { ...request, headers: key });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await api('POST', `/data-subjects/${subjectId}/erasure`, request)).status).toBe(409);
    // from this moment: the stream reads as placeholders (the erasing function evicted the key; no cache here)
    const tenant = await api('GET', `/tenants/${contactOf}`, { token: operator() });
    expect(tenant.body.contactEmail).toBe(ERASED);

    const done = await eventually(async () => {
      const reply = await api('GET', `/data-subjects/${subjectId}`, { token: admin() });
      expect((reply.body.erasures as { status: string }[])[0]?.status).toBe('completed');
      return reply;
    }, 30_000);
    expect(done.body).toMatchObject({
      status: 'erased',
      erasures: [
        {
          reason: 'the person asked (ticket 4711)',
          requestedBy: 'admin-1',
          streams: { marked: 2, total: 2 },
          downstream: [{ context: 'tenants', holder: 'identity directory', erased: 1 }],
        },
      ],
      downstream: [{ context: 'tenants', records: [] }],
    });
    for (const s of done.body.streams as { values: Record<string, unknown>[] }[]) {
      for (const value of s.values) expect(value).toMatchObject({ erased: true });
    }
    expect(await directory.user(userId)).toBeUndefined();
    expect((await api('POST', `/data-subjects/${subjectId}/erasure`, request)).body).toMatchObject({
      code: 'already_erased',
    });

    // the read model masks the person and shows the erasure in the audit trail; it equals a clean rebuild
    await eventually(async () => {
      const users = await api('GET', `/tenants/${memberOf}/users`, { token: operator() });
      expect(users.body.items?.[0]).toMatchObject({ email: ERASED });
      for (const id of [contactOf, memberOf]) expect(await tenantRows(id)).toEqual(await rebuiltRows(id));
    });
    const audit = await api('GET', `/tenants/${contactOf}/events`, { token: operator() });
    expect(audit.body.items?.at(-1)).toMatchObject({
      type: 'PERSONAL_DATA_ERASED',
      actor: 'admin-1',
      data: { subjectId, erasedAt: expect.any(String), erasedBy: 'admin-1' },
    });
    expect((await api('GET', `/tenants/${memberOf}`, { token: operator() })).body.contactEmail).toBe(kept);

    // a retried request whose stored answer named the person: no body, said so
    const replay = await api('POST', '/tenants', creation);
    expect(replay.status).toBe(204);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('idempotent-result-erased')).toBe('true');
    expect(replay.body).toEqual({});

    // events never rewritten: every commit item as it was, the markers after them
    const after = await Promise.all(streams.map(commitItems));
    for (const [i, items] of before.entries()) expect(after[i]?.slice(0, items.length)).toEqual(items);
    const text = await everything();
    for (const form of leakForms(person)) expect(text.includes(form), `${person} as ${form}`).toBe(false);
  });
});
