import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DirectoryUser, IdentityDirectory, TenantMembership } from './identity.port.js';

interface StoredUser extends DirectoryUser {
  tenants: Record<string, TenantMembership>;
}

/** The local stand-in for Cognito: users in a JSON file shared by `npm start`, the token CLI and tests. */
export class LocalIdentityDirectory implements IdentityDirectory {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async findByEmail(email: string): Promise<DirectoryUser | undefined> {
    const user = (await this.read()).find((u) => u.email.toLowerCase() === email.toLowerCase());
    return user ? { userId: user.userId, email: user.email } : undefined;
  }

  async addUser(user: DirectoryUser): Promise<void> {
    await this.update((users) =>
      users.some((u) => u.userId === user.userId) ? users : [...users, { ...user, tenants: {} }],
    );
  }

  async setMembership(userId: string, tenantId: string, membership: TenantMembership): Promise<void> {
    await this.update((users) => {
      const user = users.find((u) => u.userId === userId) ?? { userId, email: '', tenants: {} };
      const current = user.tenants[tenantId];
      if (current && current.version >= membership.version) return users;
      user.tenants[tenantId] = membership;
      return [...users.filter((u) => u.userId !== userId), user];
    });
  }

  async memberships(userId: string): Promise<Record<string, TenantMembership>> {
    return (await this.read()).find((u) => u.userId === userId)?.tenants ?? {};
  }

  private async read(): Promise<StoredUser[]> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as StoredUser[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Serialised read-modify-write with an atomic rename, so concurrent deliveries never lose an update. */
  private update(change: (users: StoredUser[]) => StoredUser[]): Promise<void> {
    const next = this.queue.then(async () => {
      const users = change(await this.read());
      await mkdir(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(users, null, 2));
      await rename(temp, this.file);
    });
    this.queue = next.catch(() => {});
    return next;
  }
}
