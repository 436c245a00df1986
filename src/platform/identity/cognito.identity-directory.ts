import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DirectoryUser, IdentityDirectory, TenantMembership } from './identity.port.js';

/** Tenant memberships live in one custom attribute (JSON), not in groups: per-tenant groups hit Cognito quotas. */
export const MEMBERSHIP_ATTRIBUTE = 'custom:tenants';

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

  async setMembership(userId: string, tenantId: string, membership: TenantMembership): Promise<void> {
    const tenants = await this.memberships(userId);
    const current = tenants[tenantId];
    if (current && current.version >= membership.version) return;
    tenants[tenantId] = membership;
    await this.client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: this.userPoolId,
        Username: userId,
        UserAttributes: [{ Name: MEMBERSHIP_ATTRIBUTE, Value: JSON.stringify(tenants) }],
      }),
    );
  }

  async memberships(userId: string): Promise<Record<string, TenantMembership>> {
    const out = await this.client.send(
      new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: userId }),
    );
    const raw = out.UserAttributes?.find((a) => a.Name === MEMBERSHIP_ATTRIBUTE)?.Value;
    return raw ? (JSON.parse(raw) as Record<string, TenantMembership>) : {};
  }
}
