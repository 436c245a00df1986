import { describe, expect, it } from 'vitest';
import { ValidationError } from '#src/platform/domain/errors.js';
import type { EnvironmentRepository } from './environment-repository.port.js';

/** One repository of a harness, read and written around the client under test. */
export interface RepositoryUnderTest {
  /** A client of this repository as one Lambda holds it (its own cache, if it has one). */
  client(options?: { historyDepth?: number }): EnvironmentRepository;
  /** The files of `folder` at `sha`, read without a client; undefined when the folder is not there. */
  folderAt(sha: string, folder: string): Promise<Record<string, string> | undefined>;
  /** The first-parent history from the head, newest first, read without a client. */
  history(): Promise<string[]>;
  /** Someone else's commit of one file (a person, another tool); its sha. */
  commitByOther(path: string, content: string): Promise<string>;
}

export interface EnvironmentRepositoryHarness {
  /** A new, empty repository. */
  repository(): Promise<RepositoryUnderTest>;
}

export const author = { name: 'BBWS control plane', email: 'control-plane@bbws.test' };
export const tenantFiles = (tenant: string, size = 't3.small'): Record<string, string> => ({
  'main.tf.json': JSON.stringify({ resource: { tenant: { [tenant]: { size } } } }, null, 2),
  'variables.tf.json': JSON.stringify({ variable: { tenant_id: { default: tenant } } }, null, 2),
  'backend.tf.json': '{"terraform":{"backend":{"s3":{}}}}',
});
const provision = (tenant: string, eventId: string, files = tenantFiles(tenant)) => ({
  folder: `tenants/${tenant}`,
  files,
  message: `Provision ${tenant}\n\nEvent: ${eventId}`,
  author,
});

/** The behaviour every EnvironmentRepository must have; run in memory and against a real git server. */
export function environmentRepositoryContract(name: string, harness: EnvironmentRepositoryHarness): void {
  describe(`${name}: environment repository contract`, () => {
    it('has no head while empty, then commits exactly the folder given', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      expect(await client.head()).toBeUndefined();
      const files = { ...tenantFiles('t1'), 'modules/db/main.tf.json': '{}' };
      const result = await client.commitTenantFolder(provision('t1', 'E1', files));
      expect(result).toMatchObject({ parent: undefined, changed: true });
      expect(await client.head()).toBe(result.sha);
      expect(await repo.history()).toEqual([result.sha]);
      expect(await repo.folderAt(result.sha, 'tenants/t1')).toEqual(files);
    });

    it('replaces the folder whole: files not given are removed, other folders stay', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      const first = await client.commitTenantFolder(provision('t1', 'E1'));
      await client.commitTenantFolder(provision('t2', 'E2'));
      const third = await client.commitTenantFolder(
        provision('t1', 'E3', { 'main.tf.json': '{"size":"large"}' }),
      );
      expect(third.changed).toBe(true);
      expect(await repo.folderAt(third.sha, 'tenants/t1')).toEqual({ 'main.tf.json': '{"size":"large"}' });
      expect(await repo.folderAt(third.sha, 'tenants/t2')).toEqual(tenantFiles('t2'));
      expect(await repo.history()).toHaveLength(3);
      expect(await repo.folderAt(first.sha, 'tenants/t1')).toEqual(tenantFiles('t1'));
    });

    it('makes no commit for an unchanged folder and returns the head', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      await client.commitTenantFolder(provision('t1', 'E1'));
      const second = await client.commitTenantFolder(provision('t2', 'E2'));
      const again = await client.commitTenantFolder(provision('t1', 'E3'));
      expect(again).toEqual({ sha: second.sha, parent: second.parent, changed: false });
      expect(await repo.history()).toHaveLength(2);
    });

    it("builds on someone else's commit and keeps it", async () => {
      const repo = await harness.repository();
      const client = repo.client();
      await client.commitTenantFolder(provision('t1', 'E1'));
      const theirs = await repo.commitByOther('README.md', '# environment\n');
      const ours = await client.commitTenantFolder(provision('t2', 'E2'));
      expect(ours.parent).toBe(theirs);
      expect(await repo.folderAt(ours.sha, 'tenants/t1')).toEqual(tenantFiles('t1'));
      expect(await repo.history()).toEqual([ours.sha, theirs, expect.any(String)]);
    });

    it("sees another client's commits (another Lambda) and builds on them", async () => {
      const repo = await harness.repository();
      const one = repo.client();
      const other = repo.client();
      const first = await one.commitTenantFolder(provision('t1', 'E1'));
      const second = await other.commitTenantFolder(provision('t2', 'E2'));
      const third = await one.commitTenantFolder(provision('t3', 'E3'));
      expect([second.parent, third.parent]).toEqual([first.sha, second.sha]);
      expect(await other.head()).toBe(third.sha);
    });

    it('finds the newest commit whose message carries the event id, optionally of one folder', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      const first = await client.commitTenantFolder(provision('t1', 'E-shared'));
      const second = await client.commitTenantFolder(provision('t2', 'E-shared'));
      const third = await client.commitTenantFolder(provision('t3', 'E3'));
      expect(await client.findCommit({ messageContains: 'E3' })).toBe(third.sha);
      expect(await client.findCommit({ messageContains: 'E-shared' })).toBe(second.sha);
      expect(await client.findCommit({ messageContains: 'E-shared', folder: 'tenants/t1' })).toBe(first.sha);
      expect(await client.findCommit({ messageContains: 'E3', folder: 'tenants/t1' })).toBeUndefined();
      expect(await client.findCommit({ messageContains: 'E-missing' })).toBeUndefined();
      expect(await repo.client().findCommit({ messageContains: 'E3' })).toBe(third.sha);
    });

    it('looks back over at most historyDepth commits', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      const old = await client.commitTenantFolder(provision('t1', 'E-old'));
      for (const tenant of ['t2', 't3', 't4'])
        await client.commitTenantFolder(provision(tenant, `E-${tenant}`));
      expect(await repo.client({ historyDepth: 4 }).findCommit({ messageContains: 'E-old' })).toBe(old.sha);
      expect(await repo.client({ historyDepth: 3 }).findCommit({ messageContains: 'E-old' })).toBeUndefined();
    });

    it('removes a folder, keeps the others, and makes no commit for a folder that is not there', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      expect(await client.removeTenantFolder({ folder: 'tenants/t1', message: 'Remove t1', author })).toEqual(
        {
          sha: undefined,
          parent: undefined,
          changed: false,
        },
      );
      await client.commitTenantFolder(provision('t1', 'E1'));
      const kept = await client.commitTenantFolder(provision('t2', 'E2'));
      const removed = await client.removeTenantFolder({ folder: 'tenants/t1', message: 'Remove t1', author });
      expect(removed).toMatchObject({ parent: kept.sha, changed: true });
      expect(await repo.folderAt(removed.sha ?? '', 'tenants/t1')).toBeUndefined();
      expect(await repo.folderAt(removed.sha ?? '', 'tenants/t2')).toEqual(tenantFiles('t2'));
      const again = await client.removeTenantFolder({ folder: 'tenants/t1', message: 'Remove t1', author });
      expect(again).toEqual({ sha: removed.sha, parent: kept.sha, changed: false });
      const last = await client.removeTenantFolder({ folder: 'tenants/t2', message: 'Remove t2', author });
      expect(await repo.folderAt(last.sha ?? '', 'tenants/t2')).toBeUndefined();
      expect(await repo.history()).toHaveLength(4);
    });

    it('refuses paths outside a plain relative folder and an empty folder, committing nothing', async () => {
      const repo = await harness.repository();
      const client = repo.client();
      const bad = [
        { folder: '../escape', files: tenantFiles('x') },
        { folder: '/abs', files: tenantFiles('x') },
        { folder: 'tenants/t1/', files: tenantFiles('x') },
        { folder: 'tenants/.git', files: tenantFiles('x') },
        { folder: 'tenants/t1', files: {} },
        { folder: 'tenants/t1', files: { '../main.tf.json': '{}' } },
        { folder: 'tenants/t1', files: { a: '1', 'a/b': '2' } },
      ];
      for (const input of bad) {
        await expect(client.commitTenantFolder({ ...input, message: 'm', author })).rejects.toThrow(
          ValidationError,
        );
      }
      await expect(
        client.commitTenantFolder({ ...provision('t1', 'E1'), author: { name: 'x', email: 'a>b' } }),
      ).rejects.toThrow(ValidationError);
      expect(await repo.history()).toEqual([]);
    });
  });
}
