import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalKeys } from './local-issuer.js';
import { type Principal, principalFrom, type TokenVerifier } from './principal.js';

/** Cognito user pool ID tokens (aws-jwt-verify fetches and caches the pool's JWKS). */
export function cognitoVerifier(userPoolId: string, clientId: string): TokenVerifier {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id' });
  return rememberingVerifier((token) => verifier.verify(token));
}

/** Tokens of the local issuer, verified against its JWKS held in memory: no network. */
export function localVerifier(keys: LocalKeys): TokenVerifier {
  const verifier = JwtRsaVerifier.create({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    jwksUri: `${LOCAL_ISSUER}/.well-known/jwks.json`,
  });
  verifier.cacheJwks(keys.jwks as unknown as Parameters<JwksCache['addJwks']>[1]);
  return rememberingVerifier((token) => verifier.verify(token));
}

export interface RememberingOptions {
  /** Tokens remembered at once; the least recently verified goes first (about 1 KB each). */
  maxEntries?: number;
  /** How long a verified token is answered from memory at most, however far away its expiry. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Remembers the tokens it verified. aws-jwt-verify caches the JWKS and the public key objects, but still decodes,
 * parses and checks the signature of every token it is given: 30-130 µs a request here (docs/performance.md, "API"),
 * for the same token a client sends with each of its requests. A token is remembered by its exact text (the
 * signature included, so no other text matches it) once it verified, until it expires and for at most `maxAgeMs`
 * (5 minutes, as API Gateway caches an authorizer's answer): a key withdrawn from the JWKS stops being accepted
 * within that time on a warm instance. A refused token is not remembered.
 */
export function rememberingVerifier(
  verify: (token: string) => Promise<Readonly<Record<string, unknown>>>,
  { maxEntries = 1000, maxAgeMs = 5 * 60_000, now = Date.now }: RememberingOptions = {},
): TokenVerifier {
  const verified = new Map<string, { principal: Principal; until: number }>();
  const remember = (token: string, principal: Principal, exp: unknown) => {
    // `exp` is seconds; aws-jwt-verify refuses a token once now is past it.
    const until = Math.min(typeof exp === 'number' ? exp * 1000 : 0, now() + maxAgeMs);
    if (until <= now()) return;
    verified.set(token, { principal, until });
    for (const oldest of verified.keys()) {
      if (verified.size <= maxEntries) break;
      verified.delete(oldest);
    }
  };
  return {
    verify: async (token) => {
      const known = verified.get(token);
      if (known && now() < known.until) return known.principal;
      if (known) verified.delete(token);
      const claims = await verify(token);
      const principal = frozen(principalFrom(claims));
      remember(token, principal, claims.exp);
      return principal;
    },
  };
}

/** Shared by every request with the same token: nobody may change it. */
function frozen(principal: Principal): Principal {
  Object.freeze(principal.platformRoles);
  return Object.freeze(principal);
}
