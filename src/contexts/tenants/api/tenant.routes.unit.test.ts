import { describe, expect, it } from 'vitest';
import { tenantStream } from '../domain/tenant.stream.js';
import type { TenantApiDependencies } from './tenant.routes.js';
import { api } from './tenant-api.harness.js';

describe('tenant routes: single resources come from the stream the access check loaded', () => {
  it('answers a tenant, its status and its hierarchy with the read model down (lagging or parked)', async () => {
    const { call, newTenant } = api();
    const id = await newTenant('Stream Truth');
    const tree = { divisions: [{ name: 'Sales', groups: [{ name: 'EMEA', teams: ['South', 'North'] }] }] };
    expect((await call('PUT', `/tenants/${id}/hierarchy`, 'op', { body: tree })).status).toBe(200);
    const parked = await call('POST', `/tenants/${id}/park`, 'op', { body: { reason: 'unpaid' } });
    expect(parked.status).toBe(200);
    const tenant = await call('GET', `/tenants/${id}`, 'op');
    // the command's answer and the read after it tell the same time: the runner stamps what it decides
    expect(parked.body.updatedAt).toBe(tenant.body.updatedAt);
    expect(tenant).toMatchObject({
      status: 200,
      headers: { etag: '"3"' },
      body: {
        tenantId: id,
        organizationName: 'Stream Truth',
        status: 'PARKED',
        parkedReason: 'unpaid',
        version: 3,
      },
    });
    expect(tenant.body.createdAt).toEqual(expect.any(String));
    expect(tenant.body.updatedAt).toEqual(expect.any(String));
    expect(await call('GET', `/tenants/${id}/status`, 'op')).toMatchObject({
      status: 200,
      body: { status: 'PARKED', parkedReason: 'unpaid', version: 3, updatedAt: tenant.body.updatedAt },
    });
    expect((await call('GET', `/tenants/${id}/hierarchy`, 'op')).body).toMatchObject({
      divisions: [{ name: 'Sales', groups: [{ name: 'EMEA', teams: ['North', 'South'] }] }],
    });
  });

  it('answers 304 to a polling client whose ETag is current, and the new state once it moved', async () => {
    const { call, newTenant } = api();
    const id = await newTenant();
    const first = await call('GET', `/tenants/${id}/status`, 'op');
    const same = await call('GET', `/tenants/${id}/status`, 'op', {
      headers: { 'if-none-match': first.headers.etag ?? '' },
    });
    expect(same).toMatchObject({ status: 304, headers: { etag: '"1"' }, body: {} });
    await call('POST', `/tenants/${id}/park`, 'op', { body: { reason: 'r' } });
    const moved = await call('GET', `/tenants/${id}/status`, 'op', { headers: { 'if-none-match': '"1"' } });
    expect(moved).toMatchObject({ status: 200, headers: { etag: '"2"' }, body: { status: 'PARKED' } });
  });

  it('waits for the read model only for tenant lists, and then answers 503 with Retry-After, never a stale list', async () => {
    const behind = new Proxy({} as TenantApiDependencies['readModel'], {
      get: (_target, method) => async () => {
        if (method === 'get') return { PK: 'x', SK: 'METADATA', version: 1 };
        throw new Error(`${String(method)} must not be read while the read model lags`);
      },
    });
    const { call, newTenant, assign } = api({ readModel: behind, readYourWritesMs: 50 });
    const id = await newTenant();
    await assign(id, 'u1', 'TenantMember');
    const users = await call('GET', `/tenants/${id}/users`, 'op');
    expect(users).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    expect(String(users.body.detail)).toMatch(/not up to date/);
  });
});

describe('tenant routes: authorisation holds for the state the write is conditioned on', () => {
  it('does not add the user of a TenantAdmin removed while her POST /users is in flight', async () => {
    const { call, newTenant, assign, inner, beforeNextAppend } = api();
    const id = await newTenant();
    await assign(id, 'ta', 'TenantAdmin');
    // Her access check has passed and her command is about to append: the removal lands first.
    beforeNextAppend(async () => {
      beforeNextAppend(async () => {}); // the removal's own append must not trigger this again
      expect((await call('DELETE', `/tenants/${id}/users/ta`, 'op')).status).toBe(204);
    });
    const reply = await call('POST', `/tenants/${id}/users`, 'ta', {
      body: { userId: 'newbie', role: 'TenantAdmin' },
    });
    expect(reply.status).toBe(404);
    const events = await inner.readStream(tenantStream.id(id));
    expect(events.map((e) => e.type)).toEqual(['TENANT_CREATED', 'USER_ASSIGNED', 'USER_REMOVED']);
  });
});

describe('tenant routes: defects of issue 7', () => {
  it('gives a token whose sub is an Object.prototype name no membership', async () => {
    const { call, newTenant, assign } = api();
    const id = await newTenant();
    await assign(id, 'someone', 'TenantAdmin');
    for (const sub of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect((await call('GET', `/tenants/${id}`, sub)).status, sub).toBe(404);
      expect(
        (await call('PATCH', `/tenants/${id}`, sub, { body: { contactEmail: 'x@y.test' } })).status,
      ).toBe(404);
      expect(
        (await call('POST', `/tenants/${id}/users`, sub, { body: { userId: sub, role: 'TenantAdmin' } }))
          .status,
      ).toBe(404);
    }
  });

  it('answers an id that no stream can have (-abc, abc-, a--b) with 400 naming id, not 500', async () => {
    const { call } = api();
    for (const id of ['-abc', 'abc-', 'a--b']) {
      expect(await call('GET', `/tenants/${id}`, 'op'), id).toMatchObject({
        status: 400,
        body: { field: 'id' },
      });
    }
  });

  it('compares If-Match strongly: W/"n" is 412, * and a list holding the current strong ETag are accepted', async () => {
    const { call, newTenant } = api();
    const id = await newTenant();
    const patch = (ifMatch: string, contactEmail: string) =>
      call('PATCH', `/tenants/${id}`, 'op', { body: { contactEmail }, headers: { 'if-match': ifMatch } });
    expect(await patch('W/"1"', 'a@x.test')).toMatchObject({ status: 412, body: { field: 'If-Match' } });
    expect(await patch('*', 'b@x.test')).toMatchObject({ status: 200, body: { version: 2 } });
    expect(await patch('"1", W/"2", "2"', 'c@x.test')).toMatchObject({ status: 200, body: { version: 3 } });
    expect((await patch('"1", W/"3"', 'd@x.test')).status).toBe(412);
  });

  it("tells a TenantAdmin neither another tenant's name (409 on a rename) nor whether an address has an account", async () => {
    const { call, newTenant, assign } = api();
    await newTenant('Secret Rival Ltd');
    const id = await newTenant();
    await assign(id, 'ta', 'TenantAdmin');
    const rename = await call('PATCH', `/tenants/${id}`, 'ta', {
      body: { organizationName: 'secret  RIVAL ltd' },
    });
    expect(rename).toMatchObject({ status: 409, body: { field: 'organizationName', code: 'already_taken' } });
    expect(JSON.stringify(rename.body)).not.toMatch(/rival|tenant-/i);
    const unknown = await call('POST', `/tenants/${id}/users`, 'ta', {
      body: { email: 'ghost@elsewhere.test', role: 'TenantMember' },
    });
    expect(unknown).toMatchObject({ status: 404, body: { detail: 'the user cannot be assigned' } });
    expect(JSON.stringify(unknown.body)).not.toContain('ghost');
  });
});

describe('tenant routes: the plan', () => {
  it('shows the default plan until an Admin or Operator changes it; nobody else may; unknown plans are 400', async () => {
    const { call, newTenant, assign } = api();
    const id = await newTenant();
    await assign(id, 'ta', 'TenantAdmin');
    expect((await call('GET', `/tenants/${id}`, 'op')).body.planId).toBe('starter');
    expect(await call('PUT', `/tenants/${id}/plan`, 'ta', { body: { planId: 'business' } })).toMatchObject({
      status: 403,
    });
    expect(await call('PUT', `/tenants/${id}/plan`, 'op', { body: { planId: 'gold' } })).toMatchObject({
      status: 400,
      body: { field: 'planId' },
    });
    const changed = await call('PUT', `/tenants/${id}/plan`, 'admin', { body: { planId: 'business' } });
    expect(changed).toMatchObject({ status: 200, headers: { etag: '"3"' }, body: { planId: 'business' } });
    const again = await call('PUT', `/tenants/${id}/plan`, 'op', { body: { planId: 'business' } });
    expect(again).toMatchObject({ status: 200, headers: { etag: '"3"' } });
    expect((await call('GET', `/tenants/${id}`, 'ta')).body.planId).toBe('business');
  });
});
