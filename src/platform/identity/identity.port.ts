export interface DirectoryUser {
  userId: string;
  email: string;
}

export type TenantMembership = { role: string; version: number } | { role: null; version: number };

/** A user's record in the directory, as an access request shows it. */
export interface DirectoryRecord extends DirectoryUser {
  /** Every attribute the directory keeps (Cognito's user attributes: email, sub, custom:tenants, ...). */
  attributes: Record<string, string>;
}

/** written: the attribute changed; unchanged: it already held this version or a newer one; no-user: no such user. */
export type MembershipWrite = 'written' | 'unchanged' | 'no-user';

/** The user directory (Cognito in AWS): resolves emails and carries each user's tenant memberships. */
export interface IdentityDirectory {
  findByEmail(email: string): Promise<DirectoryUser | undefined>;
  /**
   * Records the user's role in a tenant (null: removed) as of a tenant stream version; an older version than the
   * one recorded is ignored. It reads and rewrites the user's whole attribute without a condition (Cognito has
   * none), so two concurrent calls for one user can lose one: callers serialise per user (the identity sync's
   * FIFO queue does).
   */
  setMembership(userId: string, tenantId: string, membership: TenantMembership): Promise<MembershipWrite>;
  memberships(userId: string): Promise<Record<string, TenantMembership>>;
  /** The user's whole record (AdminGetUser), for a data subject's access request; undefined: no such user. */
  user(userId: string): Promise<DirectoryRecord | undefined>;
  /**
   * Deletes the user (AdminDeleteUser): an erased person's account. Their e-mail is the pool's sign-in name and
   * cannot be blanked, so the user goes; ids left in tenant streams then name nobody.
   */
  deleteUser(userId: string): Promise<'deleted' | 'no-user'>;
}
