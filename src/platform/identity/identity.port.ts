export interface DirectoryUser {
  userId: string;
  email: string;
}

export type TenantMembership = { role: string; version: number } | { role: null; version: number };

/** The user directory (Cognito in AWS): resolves emails and carries each user's tenant memberships. */
export interface IdentityDirectory {
  findByEmail(email: string): Promise<DirectoryUser | undefined>;
  /**
   * Records the user's role in a tenant (null: removed) as of a tenant stream version; an older version than the
   * one recorded is ignored, so redelivered or reordered events cannot undo a newer change.
   */
  setMembership(userId: string, tenantId: string, membership: TenantMembership): Promise<void>;
  memberships(userId: string): Promise<Record<string, TenantMembership>>;
}
