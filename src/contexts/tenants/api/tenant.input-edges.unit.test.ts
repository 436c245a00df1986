import { describe, expect, it } from 'vitest';
import { api } from './tenant-api.harness.js';

// Input at the edges of what the tenant routes accept: always a 4xx naming the field, never an internal message.

describe('user ids: the route takes its limit from the membership events', () => {
  it('answers a userId the events would refuse (65-128 characters) with 400 naming userId, appending nothing', async () => {
    const { call, newTenant, inner } = api();
    const id = await newTenant();
    const before = (await inner.readStream(`tenant-${id}`)).length;
    for (const userId of ['u'.repeat(65), 'u'.repeat(128)]) {
      const assigned = await call('POST', `/tenants/${id}/users`, 'op', {
        body: { userId, role: 'TenantMember' },
      });
      expect({ status: assigned.status, field: assigned.body.field }, JSON.stringify(assigned.body)).toEqual({
        status: 400,
        field: 'userId',
      });
      const removed = await call('DELETE', `/tenants/${id}/users/${userId}`, 'op');
      expect({ status: removed.status, field: removed.body.field }).toEqual({ status: 400, field: 'userId' });
    }
    expect((await inner.readStream(`tenant-${id}`)).length).toBe(before);
    // the longest id the events take is taken
    const longest = await call('POST', `/tenants/${id}/users`, 'op', {
      body: { userId: 'u'.repeat(64), role: 'TenantMember' },
    });
    expect(longest.status).toBe(201);
  });
});

describe('organisation names: unique as they read', () => {
  const body = (organizationName: string) => ({
    organizationName,
    contactEmail: 'z@acme.test',
    environment: 'dev',
  });

  it('takes a name that differs from a taken one only by invisible (format, Cf) characters as taken: 409', async () => {
    const { call } = api();
    expect((await call('POST', '/tenants', 'op', { body: body('Zero Width Corp') })).status).toBe(201);
    for (const lookalike of [
      'Zero\u200B Width Corp',
      'Zero Width\u2060 Corp',
      '\u200EZero Width Corp\u00AD',
    ]) {
      const reply = await call('POST', '/tenants', 'op', { body: body(lookalike) });
      expect({ status: reply.status, field: reply.body.field }, JSON.stringify(lookalike)).toEqual({
        status: 409,
        field: 'organizationName',
      });
    }
  });

  it('refuses a name of (almost) only invisible characters with 400 naming organizationName', async () => {
    const { call, newTenant } = api();
    for (const name of ['\u200B\u200B\u200B', 'A\u200B\u200D\u200B', '\uFEFF\u2063\u2063']) {
      const reply = await call('POST', '/tenants', 'op', { body: body(name) });
      expect({ status: reply.status, field: reply.body.field }, JSON.stringify(name)).toEqual({
        status: 400,
        field: 'organizationName',
      });
    }
    const id = await newTenant();
    const renamed = await call('PATCH', `/tenants/${id}`, 'op', {
      body: { organizationName: '\u200B\u200C' },
    });
    expect(renamed.status).toBe(400);
  });
});
