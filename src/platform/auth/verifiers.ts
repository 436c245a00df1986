import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalKeys } from './local-issuer.js';
import { type Principal, principalFrom, type TokenVerifier } from './principal.js';

/** Cognito user pool ID tokens (aws-jwt-verify fetches and caches the pool's JWKS). */
export function cognitoVerifier(userPoolId: string, clientId: string): TokenVerifier {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id' });
  return { verify: async (token): Promise<Principal> => principalFrom(await verifier.verify(token)) };
}

/** Tokens of the local issuer, verified against its JWKS held in memory: no network. */
export function localVerifier(keys: LocalKeys): TokenVerifier {
  const verifier = JwtRsaVerifier.create({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    jwksUri: `${LOCAL_ISSUER}/.well-known/jwks.json`,
  });
  verifier.cacheJwks(keys.jwks as unknown as Parameters<JwksCache['addJwks']>[1]);
  return { verify: async (token): Promise<Principal> => principalFrom(await verifier.verify(token)) };
}
