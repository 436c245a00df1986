import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_ISSUER = 'http://localhost/bbws-local-issuer';
export const LOCAL_AUDIENCE = 'bbws-control-plane';
const KID = 'bbws-local-1';

export interface LocalKeys {
  privateKeyPem: string;
  jwks: { keys: Record<string, unknown>[] };
  /** HMAC secret for pagination cursors in the local runtime */
  cursorSecret: string;
}

/**
 * The project's own token issuer for local runs: an RSA key pair made on first use in a git-ignored folder,
 * shared by `npm start` (which verifies) and `npm run token` (which signs).
 */
export function localKeys(dir: string): LocalKeys {
  const keyFile = join(dir, 'issuer-private.pem');
  const secretFile = join(dir, 'cursor-secret');
  if (!existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const privateKeyPem = readFileSync(keyFile, 'utf8');
  const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' });
  return {
    privateKeyPem,
    jwks: { keys: [{ ...jwk, kid: KID, alg: 'RS256', use: 'sig' }] },
    cursorSecret: readFileSync(secretFile, 'utf8').trim(),
  };
}

export interface TokenClaims {
  sub: string;
  email?: string;
  'cognito:groups'?: string[];
  [claim: string]: unknown;
}

/** An RS256 JWT shaped like a Cognito ID token (iss, aud, token_use, cognito:groups). */
export function signLocalToken(
  keys: LocalKeys,
  claims: TokenClaims,
  options: { expiresInSeconds?: number; issuer?: string; audience?: string; now?: number } = {},
): string {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: KID };
  const payload = {
    iss: options.issuer ?? LOCAL_ISSUER,
    aud: options.audience ?? LOCAL_AUDIENCE,
    token_use: 'id',
    iat: now,
    exp: now + (options.expiresInSeconds ?? 3600),
    ...claims,
  };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = sign(
    'RSA-SHA256',
    Buffer.from(signingInput),
    createPrivateKey(keys.privateKeyPem),
  ).toString('base64url');
  return `${signingInput}.${signature}`;
}
