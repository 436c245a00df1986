import fs from 'node:fs';
import git, { type CommitObject } from 'isomorphic-git';
import { folderOid, type ObjectStore } from './folder-commit.js';

/**
 * The commits reachable from `head`, breadth-first (newest first on a linear history), at most `limit` of
 * them; reads commit objects only. A commit missing from the clone is past its shallow edge: skipped.
 */
export async function* recentCommits(
  store: ObjectStore,
  head: string | undefined,
  limit: number,
): AsyncGenerator<{ oid: string; commit: CommitObject }> {
  const queue = head === undefined ? [] : [head];
  const seen = new Set(queue);
  for (let looked = 0; looked < limit; looked++) {
    const oid = queue.shift();
    if (oid === undefined) return;
    const read = await readCommit(store, oid);
    if (read === undefined) continue;
    yield { oid, commit: read };
    for (const parent of read.parent.filter((p) => !seen.has(p))) {
      seen.add(parent);
      queue.push(parent);
    }
  }
}

/** Whether the commit changed `folder` against its first parent (a root commit: whether it has the folder). */
export async function changedFolder(
  store: ObjectStore,
  commit: CommitObject,
  folder: string,
): Promise<boolean> {
  const parent = commit.parent[0] === undefined ? undefined : await readCommit(store, commit.parent[0]);
  const before = parent === undefined ? undefined : await folderOid(store, parent.tree, folder);
  return (await folderOid(store, commit.tree, folder)) !== before;
}

async function readCommit(store: ObjectStore, oid: string): Promise<CommitObject | undefined> {
  return git
    .readCommit({ fs, gitdir: store.gitdir, oid, cache: store.cache })
    .then(({ commit }) => commit)
    .catch(() => undefined);
}
