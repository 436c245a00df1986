import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type {
  DirectoryRecord,
  DirectoryUser,
  IdentityDirectory,
  MembershipWrite,
  TenantMembership,
} from './identity.port.js';
import { decodeMemberships, encodeMemberships, withMembership } from './membership.js';

const StoredUsers = z.array(
  z.object({
    userId: z.string(),
    email: z.string(),
    /** The membership attribute, as Cognito stores it: one JSON string (files of older versions: an object). */
    tenants: z
      .union([z.string(), z.record(z.string(), z.unknown()).transform((t) => JSON.stringify(t))])
      .optional(),
  }),
);
type StoredUser = z.infer<typeof StoredUsers>[number];

/**
 * The local stand-in for Cognito: users in a JSON file shared by `npm start`, the token CLI and tests. It is as
 * atomic as Cognito and no more: each call (get a user, update an attribute, create a user) is one atomic step
 * — synchronous file I/O ending in an atomic rename — after a network round trip (`latencyMs`); setMembership is
 * a get and an update, like the Cognito adapter, so two concurrent calls for one user can lose one exactly as
 * in AWS. Nothing serialises them here: the platform must (the identity sync's FIFO queue does).
 */
export class LocalIdentityDirectory implements IdentityDirectory {
  constructor(
    private readonly file: string,
    private readonly latencyMs = 5,
  ) {}

  async findByEmail(email: string): Promise<DirectoryUser | undefined> {
    await this.roundTrip();
    const user = this.read().find((u) => u.email.toLowerCase() === email.toLowerCase());
    return user ? { userId: user.userId, email: user.email } : undefined;
  }

  /** AdminCreateUser's stand-in (the token CLI, tests). */
  async addUser(user: DirectoryUser): Promise<void> {
    await this.roundTrip();
    const users = this.read();
    if (!users.some((u) => u.userId === user.userId)) this.write([...users, { ...user }]);
  }

  async setMembership(
    userId: string,
    tenantId: string,
    membership: TenantMembership,
  ): Promise<MembershipWrite> {
    const current = await this.getUser(userId);
    if (!current) return 'no-user';
    const next = withMembership(decodeMemberships(current.tenants), tenantId, membership);
    if (!next) return 'unchanged';
    await this.updateAttribute(userId, encodeMemberships(next));
    return 'written';
  }

  async memberships(userId: string): Promise<Record<string, TenantMembership>> {
    return decodeMemberships((await this.getUser(userId))?.tenants);
  }

  async user(userId: string): Promise<DirectoryRecord | undefined> {
    const user = await this.getUser(userId);
    if (!user) return undefined;
    const attributes: Record<string, string> = { sub: user.userId, email: user.email };
    if (user.tenants !== undefined) attributes['custom:tenants'] = user.tenants;
    return { userId: user.userId, email: user.email, attributes };
  }

  /** AdminDeleteUser's stand-in. */
  async deleteUser(userId: string): Promise<'deleted' | 'no-user'> {
    await this.roundTrip();
    const users = this.read();
    if (!users.some((u) => u.userId === userId)) return 'no-user';
    this.write(users.filter((u) => u.userId !== userId));
    return 'deleted';
  }

  /** AdminGetUser's stand-in. */
  private async getUser(userId: string): Promise<StoredUser | undefined> {
    await this.roundTrip();
    return this.read().find((u) => u.userId === userId);
  }

  /** AdminUpdateUserAttributes' stand-in: replaces the attribute's value, unconditionally. */
  private async updateAttribute(userId: string, tenants: string): Promise<void> {
    await this.roundTrip();
    this.write(this.read().map((u) => (u.userId === userId ? { ...u, tenants } : u)));
  }

  private read(): StoredUser[] {
    try {
      return StoredUsers.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Atomic for other processes too (the token CLI writes the same file): a whole new file, renamed. */
  private write(users: StoredUser[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, JSON.stringify(users, null, 2));
    renameSync(temp, this.file);
  }

  private roundTrip(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
