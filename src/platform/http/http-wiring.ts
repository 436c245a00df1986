import { localKeys } from '#src/platform/auth/local-issuer.js';
import type { TokenVerifier } from '#src/platform/auth/principal.js';
import { cognitoVerifier, localVerifier } from '#src/platform/auth/verifiers.js';
import { Cursors } from '#src/platform/http/cursor.js';
import { config } from '#src/platform/wiring.js';

/**
 * What the HTTP entry points add to src/platform/wiring.ts: token verification and pagination cursors. A module
 * of its own, so that only the HTTP handlers bundle the JWT verifier (docs/performance.md, "Bundles").
 */
export interface HttpWiring {
  verifier: TokenVerifier;
  cursors: Cursors;
}

let http: HttpWiring | undefined;

export function httpWiring(): HttpWiring {
  if (http) return http;
  const { AUTH_MODE, LOCAL_AUTH_DIR, COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, CURSOR_SECRET } = config();
  const local = AUTH_MODE === 'local' ? localKeys(LOCAL_AUTH_DIR) : undefined;
  const verifier = local
    ? localVerifier(local)
    : cognitoVerifier(
        required(COGNITO_USER_POOL_ID, 'COGNITO_USER_POOL_ID'),
        required(COGNITO_CLIENT_ID, 'COGNITO_CLIENT_ID'),
      );
  const cursorSecret = local?.cursorSecret ?? required(CURSOR_SECRET, 'CURSOR_SECRET');
  http = { verifier, cursors: new Cursors(cursorSecret) };
  return http;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
