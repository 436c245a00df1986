import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalIdentityDirectory } from './local.identity-directory.js';

const directory = async () => {
  const d = new LocalIdentityDirectory(join(mkdtempSync(join(tmpdir(), 'identity-')), 'users.json'));
  await d.addUser({ userId: 'u', email: 'u@b.test' });
  return d;
};

describe('the local identity directory (the Cognito stand-in)', () => {
  it("does not serialise what Cognito does not: two concurrent writes for one user lose one (the issue's race)", async () => {
    const d = await directory();
    await d.setMembership('u', 't1', { role: 'TenantAdmin', version: 2 });
    // USER_REMOVED (t1) and USER_ASSIGNED (t2) handled at the same time: both read {t1: admin} first.
    await Promise.all([
      d.setMembership('u', 't1', { role: null, version: 3 }),
      d.setMembership('u', 't2', { role: 'TenantMember', version: 2 }),
    ]);
    const after = await d.memberships('u');
    expect(after.t1?.role === null && after.t2?.role === 'TenantMember').toBe(false);
  });

  it('serialised, the same two writes both land', async () => {
    const d = await directory();
    await d.setMembership('u', 't1', { role: 'TenantAdmin', version: 2 });
    await d.setMembership('u', 't1', { role: null, version: 3 });
    await d.setMembership('u', 't2', { role: 'TenantMember', version: 2 });
    expect(await d.memberships('u')).toEqual({
      t1: { role: null, version: 3 },
      t2: { role: 'TenantMember', version: 2 },
    });
    expect(await d.setMembership('u', 't1', { role: 'TenantAdmin', version: 2 })).toBe('unchanged');
  });

  it('knows only the users it has, as Cognito: no-user otherwise', async () => {
    const d = await directory();
    expect(await d.setMembership('nobody', 't1', { role: 'TenantMember', version: 1 })).toBe('no-user');
    expect(await d.findByEmail('U@B.TEST')).toEqual({ userId: 'u', email: 'u@b.test' });
  });
});
