import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { readDecisions } from '#src/platform/local/iam/coverage.js';
import {
  IAM_DECISIONS_ENV,
  LOCAL_USER_POOL_ID,
  type RecordedDecision,
} from '#src/platform/local/iam/function-roles.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { eventually } from '#test/runtime.js';

/**
 * The Cognito path of the handlers under their packaged roles: the identity directory is the Cognito SDK adapter,
 * sending to a Cognito-API stand-in (JSON 1.1, the three operations the adapter uses). What the tenant API
 * (ListUsers: assign by email) and the identity sync (AdminGetUser, AdminUpdateUserAttributes; on failure the
 * consumer releases its ledger claim) call is checked against their roles and recorded for the coverage check.
 */
interface StubUser {
  sub: string;
  email: string;
  tenants?: string;
}
const users = new Map<string, StubUser>();
const calls: { op: string; input: Record<string, unknown> }[] = [];
let failAdminGetUser = false;
/** AdminDeleteUser of this user fails (the erasure process then gives its ledger claim back). */
let failDeleteOf = '';
let cognito: Server;
let runtime: RunningRuntime;
let keys: LocalKeys;
const decisions: RecordedDecision[] = [];

function answer(op: string, input: Record<string, unknown>): [number, unknown] {
  if (input.UserPoolId !== LOCAL_USER_POOL_ID) return [400, { __type: 'ResourceNotFoundException' }];
  const attributes = (u: StubUser) => [
    { Name: 'sub', Value: u.sub },
    { Name: 'email', Value: u.email },
    ...(u.tenants ? [{ Name: 'custom:tenants', Value: u.tenants }] : []),
  ];
  switch (op) {
    case 'ListUsers': {
      const email = /email = "(.*)"/.exec(String(input.Filter))?.[1];
      const found = [...users.values()].filter((u) => u.email === email);
      return [200, { Users: found.map((u) => ({ Username: u.sub, Attributes: attributes(u) })) }];
    }
    case 'AdminGetUser': {
      if (failAdminGetUser) return [500, { __type: 'InternalErrorException', message: 'stand-in outage' }];
      const user = users.get(String(input.Username));
      return user
        ? [200, { Username: user.sub, UserAttributes: attributes(user) }]
        : [400, { __type: 'UserNotFoundException', message: 'User does not exist.' }];
    }
    case 'AdminDeleteUser': {
      if (String(input.Username) === failDeleteOf)
        return [500, { __type: 'InternalErrorException', message: 'stand-in outage' }];
      return users.delete(String(input.Username))
        ? [200, {}]
        : [400, { __type: 'UserNotFoundException', message: 'User does not exist.' }];
    }
    case 'AdminUpdateUserAttributes': {
      const user = users.get(String(input.Username));
      const value = (input.UserAttributes as { Name: string; Value: string }[]).find(
        (a) => a.Name === 'custom:tenants',
      )?.Value;
      if (user && value !== undefined) user.tenants = value;
      return [200, {}];
    }
    default:
      return [400, { __type: 'InvalidParameterException', message: `${op} is not stood in for` }];
  }
}

beforeAll(async () => {
  cognito = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const op = String(request.headers['x-amz-target']).split('.').pop() ?? '';
      const input = JSON.parse(body || '{}') as Record<string, unknown>;
      calls.push({ op, input });
      const [status, reply] = answer(op, input);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => cognito.listen(0, '127.0.0.1', resolve));
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-cognito-'));
  runtime = await startLocalRuntime({
    stage: 'cognito',
    stateDir,
    pollMs: 10,
    logLevel: 'ERROR',
    cognitoEndpoint: `http://127.0.0.1:${(cognito.address() as AddressInfo).port}`,
    iam: { onDecision: (d) => decisions.push(d) },
  });
  keys = localKeys(join(stateDir, 'auth'));
});
afterAll(async () => {
  await runtime?.stop();
  await new Promise((resolve) => cognito?.close(resolve));
});

async function api(method: string, path: string, body: unknown) {
  const token = signLocalToken(keys, { sub: 'op-1', email: 'op@x.test', 'cognito:groups': ['Operator'] });
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const allowed = (fn: string) =>
  new Set(decisions.filter((d) => d.function === fn && d.allowed).map((d) => d.action));

describe('the Cognito path under the packaged roles', () => {
  it('assigns a user by email (ListUsers) and carries the membership to custom:tenants', async () => {
    users.set('sub-ada', { sub: 'sub-ada', email: 'ada@example.test' });
    const tenant = await api('POST', '/tenants', {
      organizationName: `Cognito Org ${Date.now()}`,
      contactEmail: 'owner@example.test',
      environment: 'dev',
    });
    expect(tenant.status).toBe(201);
    const tenantId = String(tenant.body.tenantId);
    const assigned = await api('POST', `/tenants/${tenantId}/users`, {
      email: 'ada@example.test',
      role: 'TenantMember',
    });
    expect(assigned.status).toBe(201);
    await eventually(() =>
      expect(JSON.parse(users.get('sub-ada')?.tenants ?? '{}')).toMatchObject({
        [tenantId]: { role: 'TenantMember' },
      }),
    );
    expect(allowed('tenantApi')).toContain('cognito-idp:ListUsers');
    expect([...allowed('identitySync')]).toEqual(
      expect.arrayContaining(['cognito-idp:AdminGetUser', 'cognito-idp:AdminUpdateUserAttributes']),
    );
  });

  it('releases the ledger claim when the sync fails, for the queue to deliver the event again', async () => {
    users.set('sub-bob', { sub: 'sub-bob', email: 'bob@example.test' });
    failAdminGetUser = true;
    const tenant = await api('POST', '/tenants', {
      organizationName: `Cognito Org B ${Date.now()}`,
      contactEmail: 'owner@example.test',
      environment: 'dev',
    });
    const assigned = await api('POST', `/tenants/${String(tenant.body.tenantId)}/users`, {
      userId: 'sub-bob',
      role: 'TenantMember',
    });
    expect(assigned.status).toBe(201);
    await eventually(() => expect(allowed('identitySync')).toContain('dynamodb:DeleteItem'));
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
  });

  it("exports a data subject's user (AdminGetUser) and erases it (AdminDeleteUser); a failed erasure gives its claim back", async () => {
    failAdminGetUser = false;
    const admin = signLocalToken(keys, { sub: 'admin-1', 'cognito:groups': ['Admin'] });
    const asAdmin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const tenant = await api('POST', '/tenants', {
      organizationName: `Cognito Org E ${Date.now()}`,
      contactEmail: 'owner@example.test',
      environment: 'dev',
    });
    const subjects: Record<string, string> = {};
    for (const who of ['erin', 'fay']) {
      const email = `${who}.${Date.now()}@example.test`;
      users.set(`sub-${who}`, { sub: `sub-${who}`, email });
      const assigned = await api('POST', `/tenants/${String(tenant.body.tenantId)}/users`, {
        email,
        role: 'TenantMember',
      });
      expect(assigned.status).toBe(201);
      const found = await asAdmin('GET', `/data-subjects?email=${encodeURIComponent(email)}`);
      subjects[who] = String(found.body.subjectId);
    }
    const exported = await eventually(async () => {
      const reply = await asAdmin('GET', `/data-subjects/${subjects.erin}`);
      expect(reply.body.downstream).toEqual([
        expect.objectContaining({ records: [expect.objectContaining({ userId: 'sub-erin' })] }),
      ]);
      return reply;
    });
    expect(exported.status).toBe(200);
    expect(allowed('privacyApi')).toContain('cognito-idp:AdminGetUser');

    failDeleteOf = 'sub-fay';
    for (const who of ['erin', 'fay']) {
      expect(
        (await asAdmin('POST', `/data-subjects/${subjects[who]}/erasure`, { reason: 'asked' })).status,
      ).toBe(202);
    }
    await eventually(() => expect(users.has('sub-erin')).toBe(false), 30_000);
    await eventually(() => expect(allowed('erasureProcess')).toContain('dynamodb:DeleteItem'), 30_000);
    expect(users.has('sub-fay')).toBe(true); // its message comes back after the queue's visibility timeout
    expect(allowed('erasureProcess')).toContain('cognito-idp:AdminDeleteUser');
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
  });

  it('writes each distinct decision, with the statements that allowed it, for the coverage check', () => {
    const dir = process.env[IAM_DECISIONS_ENV] ?? '';
    const mine = readDecisions(dir).filter((d) => d.stage === 'cognito');
    expect(mine).toContainEqual(
      expect.objectContaining({
        function: 'identitySync',
        action: 'cognito-idp:AdminUpdateUserAttributes',
        resource: `arn:aws:cognito-idp:af-south-1:000000000000:userpool/${LOCAL_USER_POOL_ID}`,
        allowed: true,
        statements: [expect.stringMatching(/^identitySync-least-privilege#\d+$/)],
        expected: false,
      }),
    );
    expect(new Set(mine.map((d) => JSON.stringify(d))).size).toBe(mine.length);
  });
});
