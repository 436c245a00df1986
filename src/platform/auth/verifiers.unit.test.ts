import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localKeys, signLocalToken } from './local-issuer.js';
import { localVerifier, rememberingVerifier } from './verifiers.js';

const keys = localKeys(mkdtempSync(join(tmpdir(), 'bbws-verifiers-')));

/** A stand-in for aws-jwt-verify: counts calls, accepts `ok:<sub>:<exp seconds>`, refuses anything else. */
function counting() {
  const calls: string[] = [];
  const verify = async (token: string) => {
    calls.push(token);
    const [kind, sub, exp] = token.split(':');
    if (kind !== 'ok') throw new Error('invalid signature');
    return { sub, exp: Number(exp), 'cognito:groups': ['Operator'] };
  };
  return { calls, verify };
}

describe('rememberingVerifier', () => {
  it('verifies a token once and answers it from memory after that', async () => {
    const { calls, verify } = counting();
    const verifier = rememberingVerifier(verify, { now: () => 1_000_000 });
    const first = await verifier.verify('ok:alice:2000');
    expect(await verifier.verify('ok:alice:2000')).toBe(first);
    expect(first).toEqual({ sub: 'alice', email: undefined, platformRoles: ['Operator'] });
    expect(calls).toEqual(['ok:alice:2000']);
    // Another token of the same person is another entry, verified on its own.
    await verifier.verify('ok:alice:2001');
    expect(calls).toEqual(['ok:alice:2000', 'ok:alice:2001']);
  });

  it('never remembers a refusal', async () => {
    const { calls, verify } = counting();
    const verifier = rememberingVerifier(verify);
    await expect(verifier.verify('forged:alice:9999999999')).rejects.toThrow('invalid signature');
    await expect(verifier.verify('forged:alice:9999999999')).rejects.toThrow('invalid signature');
    expect(calls).toHaveLength(2);
  });

  it('verifies again once the token expires, and after five minutes at most', async () => {
    const { calls, verify } = counting();
    let now = 1_000_000;
    const verifier = rememberingVerifier(verify, { now: () => now });
    await verifier.verify('ok:alice:1060'); // expires at 1,060,000 ms
    now = 1_059_999;
    await verifier.verify('ok:alice:1060');
    expect(calls).toHaveLength(1);
    now = 1_060_000;
    await verifier.verify('ok:alice:1060'); // aws-jwt-verify decides now, and would refuse it
    expect(calls).toHaveLength(2);

    await verifier.verify('ok:bob:9999999');
    now += 5 * 60_000 - 1;
    await verifier.verify('ok:bob:9999999');
    expect(calls).toHaveLength(3);
    now += 1;
    await verifier.verify('ok:bob:9999999');
    expect(calls).toHaveLength(4);
  });

  it('holds at most maxEntries tokens, forgetting the oldest first', async () => {
    const { calls, verify } = counting();
    const verifier = rememberingVerifier(verify, { maxEntries: 2, now: () => 0 });
    for (const token of ['ok:a:10', 'ok:b:10', 'ok:c:10', 'ok:c:10', 'ok:b:10', 'ok:a:10']) {
      await verifier.verify(token);
    }
    expect(calls).toEqual(['ok:a:10', 'ok:b:10', 'ok:c:10', 'ok:a:10']);
  });

  it('hands out a principal no request can change for the next', async () => {
    const verifier = rememberingVerifier(counting().verify, { now: () => 0 });
    const principal = await verifier.verify('ok:alice:10');
    expect(() => principal.platformRoles.push('Admin')).toThrow(TypeError);
    expect(() => Object.assign(principal, { sub: 'mallory' })).toThrow(TypeError);
  });
});

describe('localVerifier', () => {
  const verifier = localVerifier(keys);
  const token = signLocalToken(keys, { sub: 'alice', 'cognito:groups': ['Admin'] });

  it('accepts its own tokens, and refuses one whose signature was changed after the original was remembered', async () => {
    expect(await verifier.verify(token)).toMatchObject({ sub: 'alice', platformRoles: ['Admin'] });
    expect(await verifier.verify(token)).toMatchObject({ sub: 'alice' });
    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(verifier.verify(`${header}.${payload}.${flipped}`)).rejects.toThrow();
    const other = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), sub: 'mallory' }),
    ).toString('base64url');
    await expect(verifier.verify(`${header}.${other}.${signature}`)).rejects.toThrow();
  });

  it('refuses an expired token and one of another issuer', async () => {
    const expired = signLocalToken(
      keys,
      { sub: 'alice' },
      { now: Date.now() - 7200_000, expiresInSeconds: 60 },
    );
    await expect(verifier.verify(expired)).rejects.toThrow();
    const foreign = signLocalToken(keys, { sub: 'alice' }, { issuer: 'https://elsewhere.test' });
    await expect(verifier.verify(foreign)).rejects.toThrow();
  });

  it('refuses a verified token that names no subject (never the user "undefined")', async () => {
    for (const sub of [undefined, '']) {
      const nobody = signLocalToken(keys, { sub: sub as unknown as string, 'cognito:groups': ['Admin'] });
      await expect(verifier.verify(nobody), String(sub)).rejects.toThrow('names no subject');
    }
  });
});
