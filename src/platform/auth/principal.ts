export type PlatformRole = 'Admin' | 'Operator';

/** Who is calling: from a verified token. Platform roles come from cognito:groups; tenant roles are looked up. */
export interface Principal {
  sub: string;
  email?: string | undefined;
  platformRoles: PlatformRole[];
}

export const isPlatform = (principal: Principal): boolean => principal.platformRoles.length > 0;

export interface TokenVerifier {
  /** Throws when the token is invalid: bad signature, wrong issuer or audience, expired. */
  verify(token: string): Promise<Principal>;
}

/**
 * The caller a verified token names. A token without a `sub` (a string, not empty) names nobody: it is refused
 * like an invalid one (401), never taken as the user "undefined".
 */
export function principalFrom(claims: Record<string, unknown>): Principal {
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new Error('the token names no subject (sub)');
  const groups = Array.isArray(claims['cognito:groups']) ? (claims['cognito:groups'] as unknown[]) : [];
  return {
    sub: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : undefined,
    platformRoles: groups.filter((g): g is PlatformRole => g === 'Admin' || g === 'Operator'),
  };
}
