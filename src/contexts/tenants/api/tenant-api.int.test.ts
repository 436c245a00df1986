import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { eventually, startTestRuntime } from '#test/runtime.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let keys: LocalKeys;
let store: DynamoEventStore;
let client: ReturnType<typeof documentClient>;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: JSON.stringify(options.body) }
      : options.raw !== undefined
        ? { body: options.raw }
        : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const token = (sub: string, groups: string[] = []) =>
  signLocalToken(keys, {
    sub,
    email: `${sub}@example.test`,
    ...(groups.length ? { 'cognito:groups': groups } : {}),
  });
const operator = () => token('op-1', ['Operator']);
const admin = () => token('admin-1', ['Admin']);
let orgCounter = 0;
const newTenant = async (extra: object = {}) => {
  const reply = await api('POST', '/tenants', {
    token: operator(),
    body: {
      organizationName: `Org ${Date.now()} ${++orgCounter}`,
      contactEmail: 'owner@example.test',
      environment: 'dev',
      ...extra,
    },
  });
  expect(reply.status).toBe(201);
  return String(reply.body.tenantId);
};
const assign = async (tenantId: string, userId: string, role: string) =>
  expect(
    (await api('POST', `/tenants/${tenantId}/users`, { token: operator(), body: { userId, role } })).status,
  ).toBe(201);

async function eventCount(): Promise<number> {
  let n = 0;
  for await (const batch of store.readAll({ categories: ['tenant'] })) n += batch.events.length;
  return n;
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  keys = localKeys(join(runtime.stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', 'rt'), catalogue);
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

describe('tenant API: lifecycle', () => {
  it('creates, reads, updates with If-Match, parks, unparks, manages users and hierarchy, audits and deletes', async () => {
    const created = await api('POST', '/tenants', {
      token: operator(),
      body: { organizationName: 'Lifecycle Ltd', contactEmail: 'ops@lifecycle.test', environment: 'sit' },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.tenantId);
    expect(created.headers.get('location')).toBe(`/v1.0/tenants/${id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      status: 'ACTIVE',
      environment: 'sit',
      _links: { self: { href: `/v1.0/tenants/${id}` }, park: {} },
    });

    const read = await api('GET', `/tenants/${id}`, { token: operator() });
    expect(read).toMatchObject({ status: 200, body: { organizationName: 'Lifecycle Ltd', version: 1 } });
    expect(read.headers.get('etag')).toBe('"1"');

    const stale = await api('PATCH', `/tenants/${id}`, {
      token: operator(),
      body: { contactEmail: 'new@lifecycle.test' },
      headers: { 'if-match': '"7"' },
    });
    expect(stale).toMatchObject({ status: 412, body: { field: 'If-Match' } });
    const patched = await api('PATCH', `/tenants/${id}`, {
      token: operator(),
      body: { contactEmail: 'new@lifecycle.test' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched).toMatchObject({ status: 200, body: { contactEmail: 'new@lifecycle.test', version: 2 } });

    expect(
      (await api('POST', `/tenants/${id}/park`, { token: operator(), body: { reason: 'invoice overdue' } }))
        .body,
    ).toMatchObject({ status: 'PARKED', parkedReason: 'invoice overdue' });
    expect(
      (await api('POST', `/tenants/${id}/park`, { token: operator(), body: { reason: 'again' } })).status,
    ).toBe(409);
    expect((await api('GET', `/tenants/${id}/status`, { token: operator() })).body).toMatchObject({
      status: 'PARKED',
      parkedReason: 'invoice overdue',
    });
    expect((await api('POST', `/tenants/${id}/unpark`, { token: operator() })).body).toMatchObject({
      status: 'ACTIVE',
    });

    await new LocalIdentityDirectory(join(runtime.stateDir, 'identity', 'users.json')).addUser({
      userId: 'user-by-mail',
      email: 'mail@lifecycle.test',
    });
    expect(
      (
        await api('POST', `/tenants/${id}/users`, {
          token: operator(),
          body: { email: 'mail@lifecycle.test', role: 'TenantMember' },
        })
      ).body,
    ).toMatchObject({ userId: 'user-by-mail' });
    expect(
      (
        await api('POST', `/tenants/${id}/users`, {
          token: operator(),
          body: { email: 'nobody@lifecycle.test', role: 'TenantMember' },
        })
      ).status,
    ).toBe(404);
    await assign(id, 'user-2', 'TenantAdmin');
    const users = await api('GET', `/tenants/${id}/users`, { token: operator() });
    expect(users.body.items?.map((u) => u.userId).sort()).toEqual(['user-2', 'user-by-mail']);
    expect((await api('GET', '/users/user-2/tenants', { token: token('user-2') })).body.items).toMatchObject([
      { tenantId: id, role: 'TenantAdmin' },
    ]);

    const tree = {
      divisions: [
        {
          name: 'Sales',
          groups: [
            { name: 'EMEA', teams: ['North', 'South'] },
            { name: 'APAC', teams: [] },
          ],
        },
      ],
    };
    expect((await api('PUT', `/tenants/${id}/hierarchy`, { token: operator(), body: tree })).status).toBe(
      200,
    );
    const hierarchy = await eventually(async () => {
      const reply = await api('GET', `/tenants/${id}/hierarchy`, { token: operator() });
      expect(reply.status).toBe(200);
      return reply;
    });
    expect(hierarchy.body.divisions).toEqual(
      tree.divisions.map((d) => ({
        ...d,
        groups: [...d.groups].sort((a, b) => a.name.localeCompare(b.name)),
      })),
    );
    expect((await api('DELETE', `/tenants/${id}/hierarchy`, { token: operator() })).status).toBe(204);

    // the audit trail, two at a time through cursors
    const seen: string[] = [];
    await eventually(async () => {
      seen.length = 0;
      let cursor: string | undefined;
      do {
        const page = await api(
          'GET',
          `/tenants/${id}/events?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          { token: operator() },
        );
        expect(page.status).toBe(200);
        seen.push(...(page.body.items ?? []).map((e) => String(e.type)));
        cursor = page.body.nextCursor as string | undefined;
      } while (cursor);
      expect(seen).toHaveLength(8); // created, updated, parked, unparked, 2 users, hierarchy set and removed
    });
    expect(seen[0]).toBe('TENANT_CREATED');

    expect((await api('DELETE', `/tenants/${id}`, { token: operator() })).status).toBe(204);
    expect(
      (await api('PATCH', `/tenants/${id}`, { token: operator(), body: { contactEmail: 'x@y.test' } })).body,
    ).toMatchObject({ status: 409, code: 'tenant_deleted' });
    expect((await api('GET', `/tenants/${id}`, { token: operator() })).body).toMatchObject({
      status: 'DELETED',
    });
    // the name is free again
    expect(
      (
        await api('POST', '/tenants', {
          token: operator(),
          body: { organizationName: 'lifecycle  LTD', contactEmail: 'a@b.test', environment: 'dev' },
        })
      ).status,
    ).toBe(201);
  });

  it('lists tenants by status and environment, paginated, from the indexes', async () => {
    const prodIds = [
      await newTenant({ environment: 'prod' }),
      await newTenant({ environment: 'prod' }),
      await newTenant({ environment: 'prod' }),
    ];
    await api('POST', `/tenants/${prodIds[0]}/park`, { token: operator(), body: { reason: 'test' } });
    await eventually(async () => {
      const parked = await api('GET', '/tenants?status=PARKED&environment=prod', { token: admin() });
      expect(parked.body.items?.map((t) => t.tenantId)).toContain(prodIds[0]);
      expect(parked.body.items?.every((t) => t.status === 'PARKED' && t.environment === 'prod')).toBe(true);
    });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(
        'GET',
        `/tenants?environment=prod&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: admin() },
      );
      expect(page.body.items?.length).toBeLessThanOrEqual(1);
      ids.push(...(page.body.items ?? []).map((t) => String(t.tenantId)));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    expect(ids).toEqual(expect.arrayContaining(prodIds));
    const byName = await api(
      'GET',
      `/tenants?organizationName=${encodeURIComponent(`org ${orgCounter}`.toUpperCase())}`,
      { token: admin() },
    );
    expect(byName.status).toBe(200);
  });
});

describe('tenant API: security', () => {
  it('enforces the role matrix on every route', async () => {
    const id = await newTenant();
    const other = await newTenant();
    await assign(id, 'ta', 'TenantAdmin');
    await assign(id, 'tm', 'TenantMember');
    await assign(other, 'outsider', 'TenantAdmin');
    const who = {
      Admin: admin(),
      Operator: operator(),
      TenantAdmin: token('ta'),
      TenantMember: token('tm'),
      outsider: token('outsider'),
    };
    // expected statuses: [Admin, Operator, TenantAdmin, TenantMember, outsider]; every route is also 401 without a token
    const matrix: [string, string, unknown, number[]][] = [
      ['GET', `/tenants/${id}`, undefined, [200, 200, 200, 200, 404]],
      ['GET', `/tenants/${id}/status`, undefined, [200, 200, 200, 200, 404]],
      ['GET', `/tenants/${id}/users`, undefined, [200, 200, 200, 200, 404]],
      ['GET', `/tenants/${id}/events`, undefined, [200, 200, 200, 403, 404]],
      ['GET', `/tenants/${id}/hierarchy`, undefined, [404, 404, 404, 404, 404]],
      ['PATCH', `/tenants/${id}`, { contactEmail: 'm@x.test' }, [200, 200, 200, 403, 404]],
      ['PUT', `/tenants/${id}/hierarchy`, { divisions: [] }, [200, 200, 200, 403, 404]],
      ['PUT', `/tenants/${id}/plan`, { planId: 'business' }, [200, 200, 403, 403, 404]],
      ['POST', `/tenants/${id}/users`, { userId: 'extra', role: 'TenantMember' }, [201, 201, 201, 403, 404]],
      ['DELETE', `/tenants/${id}/users/extra`, undefined, [204, 404, 404, 403, 404]],
      ['POST', `/tenants/${id}/park`, { reason: 'r' }, [200, 409, 409, 403, 404]],
      ['POST', `/tenants/${id}/unpark`, undefined, [200, 409, 409, 403, 404]],
      ['DELETE', `/tenants/${id}/hierarchy`, undefined, [204, 404, 404, 403, 404]],
      ['GET', '/users/tm/tenants', undefined, [200, 200, 403, 200, 403]],
      [
        'POST',
        '/tenants',
        { organizationName: 'Matrix Org', contactEmail: 'a@b.test', environment: 'dev' },
        [201, 409, 403, 403, 403],
      ],
      ['GET', '/tenants', undefined, [200, 200, 200, 200, 200]],
      ['DELETE', `/tenants/${other}`, undefined, [204, 409, 404, 404, 403]],
    ];
    for (const [method, path, body, expected] of matrix) {
      expect(
        (await api(method, path, body === undefined ? {} : { body })).status,
        `${method} ${path} without a token`,
      ).toBe(401);
      const got = [];
      for (const role of Object.keys(who) as (keyof typeof who)[]) {
        got.push(
          (await api(method, path, { token: who[role], ...(body === undefined ? {} : { body }) })).status,
        );
      }
      expect(got, `${method} ${path} as ${Object.keys(who).join(', ')}`).toEqual(expected);
    }
  });

  it("isolates tenants: a member sees only their tenants and never another tenant's data", async () => {
    const mine = await newTenant();
    const theirs = await newTenant();
    await assign(mine, 'iso-user', 'TenantAdmin');
    const me = token('iso-user');
    const denied = await api('GET', `/tenants/${theirs}`, { token: me });
    expect(denied.status).toBe(404);
    expect(JSON.stringify(denied.body)).not.toContain('Org');
    const list = await eventually(async () => {
      const reply = await api('GET', '/tenants', { token: me });
      expect(reply.body.items?.map((t) => t.tenantId)).toEqual([mine]);
      return reply;
    });
    expect(list.status).toBe(200);
  });

  it('takes a removed membership away on the very next request', async () => {
    const id = await newTenant();
    await assign(id, 'leaver', 'TenantAdmin');
    expect((await api('GET', `/tenants/${id}`, { token: token('leaver') })).status).toBe(200);
    expect((await api('DELETE', `/tenants/${id}/users/leaver`, { token: operator() })).status).toBe(204);
    expect((await api('GET', `/tenants/${id}`, { token: token('leaver') })).status).toBe(404);
  });

  it('refuses tokens with a bad signature, wrong issuer or audience, or past expiry', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = { ...keys, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const bad = [
      signLocalToken(forged, { sub: 'x', 'cognito:groups': ['Admin'] }),
      signLocalToken(keys, { sub: 'x', 'cognito:groups': ['Admin'] }, { issuer: 'https://evil.example' }),
      signLocalToken(keys, { sub: 'x', 'cognito:groups': ['Admin'] }, { audience: 'another-app' }),
      signLocalToken(keys, { sub: 'x', 'cognito:groups': ['Admin'] }, { now: Date.now() - 7200_000 }),
      'not.a.jwt',
    ];
    for (const t of bad) {
      const reply = await api('GET', '/tenants', { token: t });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('tenant API: concurrency, idempotency and bad input', () => {
  it('gives exactly one 201 and nineteen 409 for 20 concurrent creates of one organisation name', async () => {
    const name = `Race ${Date.now()}`;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api('POST', '/tenants', {
          token: operator(),
          body: {
            organizationName: i % 2 ? name.toUpperCase() : name,
            contactEmail: 'a@b.test',
            environment: 'dev',
          },
        }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)]);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.field === 'organizationName')).toBe(
      true,
    );
  });

  it('honours Idempotency-Key: a retry gets the first answer, another request under the key is 422', async () => {
    const body = { organizationName: `Idem ${Date.now()}`, contactEmail: 'a@b.test', environment: 'dev' };
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await api('POST', '/tenants', { token: operator(), body, headers });
    const retry = await api('POST', '/tenants', { token: operator(), body, headers });
    expect(first.status).toBe(201);
    expect(retry).toMatchObject({ status: 201, body: { tenantId: first.body.tenantId } });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const other = await api('POST', '/tenants', {
      token: operator(),
      body: { ...body, contactEmail: 'b@b.test' },
      headers,
    });
    expect(other).toMatchObject({ status: 422, body: { field: 'Idempotency-Key' } });
    // another caller's identical key is another key
    const mine = await api('POST', '/tenants', {
      token: admin(),
      body: { ...body, organizationName: `${body.organizationName} 2` },
      headers,
    });
    expect(mine.status).toBe(201);
  });

  it('creates one tenant for 8 concurrent duplicates under one Idempotency-Key, all answered alike', async () => {
    const body = { organizationName: `Dup ${Date.now()}`, contactEmail: 'a@b.test', environment: 'dev' };
    const headers = { 'idempotency-key': `dup-${Date.now()}` };
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => api('POST', '/tenants', { token: operator(), body, headers })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(replies.map((r) => r.body.tenantId)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    const events = await store.readStream(`tenant-${replies[0]?.body.tenantId}`);
    expect(events.map((e) => e.type)).toEqual(['TENANT_CREATED']);
  });

  it('answers a retried park, which cannot be decided again, with its first answer', async () => {
    const created = await api('POST', '/tenants', {
      token: operator(),
      body: { organizationName: `Park ${Date.now()}`, contactEmail: 'a@b.test', environment: 'dev' },
    });
    const id = String(created.body.tenantId);
    const park = () =>
      api('POST', `/tenants/${id}/park`, {
        token: operator(),
        body: { reason: 'invoice overdue' },
        headers: { 'idempotency-key': `park-${id}` },
      });
    const first = await park();
    const retry = await park();
    expect(first.status).toBe(200);
    expect(retry).toMatchObject({ status: 200, body: first.body });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await store.readStream(`tenant-${id}`)).map((e) => e.type)).toEqual([
      'TENANT_CREATED',
      'TENANT_PARKED',
    ]);
  });

  it('answers bad input with a 4xx problem naming the field, and appends nothing', async () => {
    const id = await newTenant();
    await eventually(async () =>
      expect((await api('GET', `/tenants/${id}`, { token: operator() })).status).toBe(200),
    );
    const before = await eventCount();
    const cases: [string, string, Parameters<typeof api>[2], number, string][] = [
      ['POST', '/tenants', { raw: '{"organizationName": ' }, 400, 'body'],
      [
        'POST',
        '/tenants',
        { body: { organizationName: 42, contactEmail: 'a@b.test', environment: 'dev' } },
        400,
        'organizationName',
      ],
      [
        'POST',
        '/tenants',
        { body: { organizationName: 'Fine Org', contactEmail: 'not-an-email', environment: 'dev' } },
        400,
        'contactEmail',
      ],
      [
        'POST',
        '/tenants',
        { body: { organizationName: 'Fine Org', contactEmail: 'a@b.test', environment: 'qa' } },
        400,
        'environment',
      ],
      [
        'POST',
        '/tenants',
        { body: { organizationName: 'Fine Org', contactEmail: 'a@b.test', environment: 'dev', admin: true } },
        400,
        'admin',
      ],
      ['POST', '/tenants', { body: ['not', 'an', 'object'] }, 400, 'body'],
      ['POST', '/tenants', { raw: JSON.stringify({ organizationName: 'x'.repeat(20_000) }) }, 413, 'body'],
      [
        'POST',
        '/tenants',
        { raw: 'organizationName=x', headers: { 'content-type': 'text/plain' } },
        415,
        'content-type',
      ],
      ['POST', '/tenants', {}, 400, 'body'],
      ['PATCH', `/tenants/${id}`, { body: {} }, 400, 'organizationName'],
      [
        'PATCH',
        `/tenants/${id}`,
        { body: { contactEmail: 'a@b.test' }, headers: { 'if-match': 'seven' } },
        400,
        'If-Match',
      ],
      ['POST', `/tenants/${id}/park`, { body: { reason: '' } }, 400, 'reason'],
      [
        'POST',
        `/tenants/${id}/users`,
        { body: { userId: 'u', email: 'u@b.test', role: 'TenantMember' } },
        400,
        'userId',
      ],
      ['POST', `/tenants/${id}/users`, { body: { userId: 'u', role: 'Owner' } }, 400, 'role'],
      [
        'PUT',
        `/tenants/${id}/hierarchy`,
        { body: { divisions: [{ name: 'A#B', groups: [] }] } },
        400,
        'divisions',
      ],
      [
        'PUT',
        `/tenants/${id}/hierarchy`,
        {
          body: {
            divisions: [
              { name: 'A', groups: [] },
              { name: 'A', groups: [] },
            ],
          },
        },
        400,
        'divisions',
      ],
      ['GET', '/tenants?limit=0', {}, 400, 'limit'],
      ['GET', '/tenants?status=GONE', {}, 400, 'status'],
      ['GET', '/tenants?cursor=forged.cursor', {}, 400, 'cursor'],
      ['GET', '/tenants/not%20an%20id', {}, 400, 'id'],
      ['DELETE', `/tenants/${id}?force=maybe`, {}, 400, 'force'],
      [
        'POST',
        '/tenants',
        {
          body: { organizationName: 'Fine Org', contactEmail: 'a@b.test', environment: 'dev' },
          headers: { 'idempotency-key': 'bad key!' },
        },
        400,
        'Idempotency-Key',
      ],
    ];
    for (const [method, path, options, status, field] of cases) {
      const reply = await api(method, path, { token: operator(), ...options });
      expect(reply.status, `${method} ${path} ${JSON.stringify(options)}`).toBe(status);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
      expect(reply.body.field, `${method} ${path}`).toBe(field);
    }
    // a tampered cursor (valid shape, changed position)
    const page = await api('GET', '/tenants?limit=1', { token: operator() });
    const cursor = String(page.body.nextCursor);
    const [payload, mac] = cursor.split('.');
    const tampered = `${Buffer.from(Buffer.from(String(payload), 'base64url').toString().replace('TENANT', 'TENANX')).toString('base64url')}.${mac}`;
    expect((await api('GET', `/tenants?limit=1&cursor=${tampered}`, { token: operator() })).status).toBe(400);
    expect(await eventCount()).toBe(before);
  });

  it('serves the OpenAPI document without a token, covering every declared route', async () => {
    const doc = await api('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = runtime.wiring.routes
      .filter((r) => r.path !== '$default')
      .map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual(routes.sort());
  });
});

describe('tenant API: the defects of issue 7 and the kit of issue 8, end to end', () => {
  it('answers an id no stream can have with 400 naming id (GET /tenants/-abc was a 500)', async () => {
    for (const id of ['-abc', 'abc-', 'a--b']) {
      expect(await api('GET', `/tenants/${id}`, { token: operator() }), id).toMatchObject({
        status: 400,
        body: { field: 'id' },
      });
    }
  });

  it('gives a token whose sub is constructor, toString or __proto__ no membership anywhere', async () => {
    const id = await newTenant();
    await assign(id, 'member-1', 'TenantAdmin');
    for (const sub of ['constructor', 'toString', '__proto__']) {
      const who = token(sub);
      expect((await api('GET', `/tenants/${id}`, { token: who })).status, sub).toBe(404);
      expect(
        (await api('PATCH', `/tenants/${id}`, { token: who, body: { contactEmail: 'x@y.test' } })).status,
      ).toBe(404);
      expect((await api('GET', '/tenants', { token: who })).body.items).toEqual([]);
    }
  });

  it('refuses If-Match: W/"n" with 412 (strong comparison) and accepts *', async () => {
    const id = await newTenant();
    const weak = await api('PATCH', `/tenants/${id}`, {
      token: operator(),
      body: { contactEmail: 'w@x.test' },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(weak).toMatchObject({ status: 412, body: { field: 'If-Match' } });
    const any = await api('PATCH', `/tenants/${id}`, {
      token: operator(),
      body: { contactEmail: 'any@x.test' },
      headers: { 'if-match': '*' },
    });
    expect(any).toMatchObject({ status: 200, body: { version: 2 } });
  });

  it('answers a polling client 304 while the tenant is unchanged, and reads its own write at once', async () => {
    const id = await newTenant();
    const first = await api('GET', `/tenants/${id}/status`, { token: operator() });
    const etag = String(first.headers.get('etag'));
    const unchanged = await fetch(`${runtime.httpUrl}/v1.0/tenants/${id}/status`, {
      headers: { authorization: `Bearer ${operator()}`, 'if-none-match': etag },
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect(await unchanged.text()).toBe('');
    await api('POST', `/tenants/${id}/park`, { token: operator(), body: { reason: 'unpaid' } });
    const moved = await api('GET', `/tenants/${id}/status`, {
      token: operator(),
      headers: { 'if-none-match': etag },
    });
    expect(moved).toMatchObject({ status: 200, body: { status: 'PARKED', version: 2 } });
  });

  it("lists a member's tenants without deleted ones and honours the organizationName filter", async () => {
    const name = `Member View ${Date.now()}`;
    const kept = await newTenant({ organizationName: name });
    const other = await newTenant();
    const gone = await newTenant();
    for (const id of [kept, other, gone]) await assign(id, 'lister', 'TenantMember');
    expect((await api('DELETE', `/tenants/${gone}`, { token: operator() })).status).toBe(204);
    const me = token('lister');
    await eventually(async () => {
      const all = await api('GET', '/tenants', { token: me });
      expect(all.body.items?.map((t) => t.tenantId).sort()).toEqual([kept, other].sort());
    });
    const byName = await api('GET', `/tenants?organizationName=${encodeURIComponent(name.toUpperCase())}`, {
      token: me,
    });
    expect(byName.body.items?.map((t) => t.tenantId)).toEqual([kept]);
  });

  it("names neither another tenant's organisation (409 on a rename) nor whether an address has an account", async () => {
    const rival = `Rival Name ${Date.now()}`;
    await newTenant({ organizationName: rival });
    const id = await newTenant();
    await assign(id, 'renamer', 'TenantAdmin');
    const rename = await api('PATCH', `/tenants/${id}`, {
      token: token('renamer'),
      body: { organizationName: rival.toLowerCase() },
    });
    expect(rename).toMatchObject({ status: 409, body: { field: 'organizationName', code: 'already_taken' } });
    expect(JSON.stringify(rename.body).toLowerCase()).not.toContain('rival');
    const unknown = await api('POST', `/tenants/${id}/users`, {
      token: token('renamer'),
      body: { email: 'ghost@elsewhere.test', role: 'TenantMember' },
    });
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).not.toContain('ghost');
  });
});
