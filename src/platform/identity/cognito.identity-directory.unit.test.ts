import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { CognitoIdentityDirectory, MEMBERSHIP_ATTRIBUTE } from './cognito.identity-directory.js';
import { MembershipAttributeFullError } from './membership.js';

/** A stand-in for the SDK client that keeps attributes per user and records the commands it gets. */
function fakeCognito(users: Record<string, Record<string, string>>) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      const attributes = (u: string) =>
        Object.entries(users[u] ?? {}).map(([Name, Value]) => ({ Name, Value }));
      if (name === 'ListUsersCommand') {
        const email = /email = "(.*)"/.exec(String(command.input.Filter))?.[1];
        const found = Object.keys(users).filter((u) => users[u]?.email === email);
        return { Users: found.map((u) => ({ Username: u, Attributes: attributes(u) })) };
      }
      if (name === 'AdminGetUserCommand') {
        if (!users[String(command.input.Username)])
          throw Object.assign(new Error('User does not exist.'), { name: 'UserNotFoundException' });
        return { UserAttributes: attributes(String(command.input.Username)) };
      }
      if (name === 'AdminUpdateUserAttributesCommand') {
        const user = users[String(command.input.Username)] ?? {};
        users[String(command.input.Username)] = user;
        for (const a of command.input.UserAttributes as { Name: string; Value: string }[])
          user[a.Name] = a.Value;
        return {};
      }
      throw new Error(`unexpected ${name}`);
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, sent, users };
}

describe('Cognito identity directory', () => {
  it('finds a user by email and returns the sub', async () => {
    const { client } = fakeCognito({ 'sub-1': { sub: 'sub-1', email: 'a@b.test' } });
    const directory = new CognitoIdentityDirectory(client, 'pool');
    expect(await directory.findByEmail('a@b.test')).toEqual({ userId: 'sub-1', email: 'a@b.test' });
    expect(await directory.findByEmail('nobody@b.test')).toBeUndefined();
  });

  it('keeps memberships in one JSON attribute and ignores an older stream version', async () => {
    const { client, users, sent } = fakeCognito({ u: { sub: 'u', email: 'u@b.test' } });
    const directory = new CognitoIdentityDirectory(client, 'pool');
    await directory.setMembership('u', 't1', { role: 'TenantAdmin', version: 5 });
    await directory.setMembership('u', 't1', { role: null, version: 3 }); // redelivered older event: ignored
    await directory.setMembership('u', 't2', { role: 'TenantMember', version: 1 });
    expect(JSON.parse(users.u?.[MEMBERSHIP_ATTRIBUTE] ?? '{}')).toEqual({
      t1: { role: 'TenantAdmin', version: 5 },
      t2: { role: 'TenantMember', version: 1 },
    });
    expect(sent.filter((c) => c.name === 'AdminUpdateUserAttributesCommand')).toHaveLength(2);
    await directory.setMembership('u', 't1', { role: null, version: 6 });
    expect(await directory.memberships('u')).toMatchObject({ t1: { role: null, version: 6 } });
  });

  it('answers no-user for a user Cognito does not know, and writes nothing', async () => {
    const { client, sent } = fakeCognito({});
    const directory = new CognitoIdentityDirectory(client, 'pool');
    expect(await directory.setMembership('ghost', 't1', { role: 'TenantMember', version: 1 })).toBe(
      'no-user',
    );
    expect(sent.map((c) => c.name)).toEqual(['AdminGetUserCommand']);
  });

  it("keeps the attribute within Cognito's 2048 characters: removal markers go first", async () => {
    const { client, users } = fakeCognito({ u: { sub: 'u', email: 'u@b.test' } });
    const directory = new CognitoIdentityDirectory(client, 'pool');
    const tenant = (i: number) => `01JD${String(i).padStart(22, '0')}`;
    for (let i = 0; i < 40; i++) await directory.setMembership('u', tenant(i), { role: null, version: 2 });
    await directory.setMembership('u', tenant(99), { role: 'TenantAdmin', version: 1 });
    const stored = users.u?.[MEMBERSHIP_ATTRIBUTE] ?? '';
    expect(stored.length).toBeLessThanOrEqual(2048);
    expect(JSON.parse(stored)[tenant(99)]).toEqual({ role: 'TenantAdmin', version: 1 });
    // Current memberships that do not fit are refused loudly (the message ends in the DLQ), never truncated.
    const assign = (i: number) =>
      directory.setMembership('u', tenant(i), { role: 'TenantMember', version: 3 });
    let i = 0;
    await expect(async () => {
      for (; i < 40; i++) await assign(i);
    }).rejects.toThrow(MembershipAttributeFullError);
    expect(i).toBe(30); // 31 memberships with the admin one: ~66 characters each
  });
});
