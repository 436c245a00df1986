import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type {
  DirectoryRecord,
  DirectoryUser,
  IdentityDirectory,
  MembershipWrite,
  TenantMembership,
} from './identity.port.js';
import { decodeMemberships, encodeMemberships, withMembership } from './membership.js';

/** Tenant memberships live in one custom attribute (JSON), not in groups: per-tenant groups hit Cognito quotas. */
export const MEMBERSHIP_ATTRIBUTE = 'custom:tenants';

const isUserNotFound = (error: unknown) => (error as { name?: string })?.name === 'UserNotFoundException';

export class CognitoIdentityDirectory implements IdentityDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async findByEmail(email: string): Promise<DirectoryUser | undefined> {
    const out = await this.client.send(
      new ListUsersCommand({
        UserPoolId: this.userPoolId,
        Filter: `email = "${email.replace(/"/g, '')}"`,
        Limit: 1,
      }),
    );
    const user = out.Users?.[0];
    const sub = user?.Attributes?.find((a) => a.Name === 'sub')?.Value;
    return sub ? { userId: sub, email } : undefined;
  }

  /**
   * AdminGetUser, then AdminUpdateUserAttributes of the whole attribute: Cognito has no conditional update, so
   * this is a read-modify-write that two concurrent callers for one user can interleave (IdentityDirectory).
   */
  async setMembership(
    userId: string,
    tenantId: string,
    membership: TenantMembership,
  ): Promise<MembershipWrite> {
    let current: Record<string, TenantMembership>;
    try {
      current = await this.memberships(userId);
    } catch (error) {
      if (isUserNotFound(error)) return 'no-user';
      throw error;
    }
    const next = withMembership(current, tenantId, membership);
    if (!next) return 'unchanged';
    await this.client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: this.userPoolId,
        Username: userId,
        UserAttributes: [{ Name: MEMBERSHIP_ATTRIBUTE, Value: encodeMemberships(next) }],
      }),
    );
    return 'written';
  }

  async user(userId: string): Promise<DirectoryRecord | undefined> {
    try {
      const out = await this.client.send(
        new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: userId }),
      );
      const attributes = Object.fromEntries(
        (out.UserAttributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']),
      );
      return { userId, email: attributes.email ?? '', attributes };
    } catch (error) {
      if (isUserNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteUser(userId: string): Promise<'deleted' | 'no-user'> {
    try {
      await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: userId }));
      return 'deleted';
    } catch (error) {
      if (isUserNotFound(error)) return 'no-user';
      throw error;
    }
  }

  async memberships(userId: string): Promise<Record<string, TenantMembership>> {
    const out = await this.client.send(
      new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: userId }),
    );
    return decodeMemberships(out.UserAttributes?.find((a) => a.Name === MEMBERSHIP_ATTRIBUTE)?.Value);
  }
}
