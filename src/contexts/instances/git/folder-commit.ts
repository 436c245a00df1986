import fs from 'node:fs';
import git, { type TreeEntry } from 'isomorphic-git';
import { ValidationError } from '#src/platform/domain/errors.js';
import type { Author } from './environment-repository.port.js';
import type { FolderTree } from './tenant-folder.js';

/** A bare repository's object store and isomorphic-git's cache of its pack indexes. */
export interface ObjectStore {
  gitdir: string;
  cache: object;
}

export interface FolderChange {
  folder: string;
  /** The folder's new content; undefined removes it. */
  tree: FolderTree | undefined;
  message: string;
  author: Author;
  /** Seconds since the epoch. */
  timestamp: number;
}

export interface BuiltCommit {
  oid: string;
  /** What the remote lacks: the folder's new blobs and trees, the rewritten trees above it, the commit. */
  newObjects: string[];
}

const utf8 = new TextEncoder();

async function entries(store: ObjectStore, oid: string): Promise<TreeEntry[]> {
  return (await git.readTree({ fs, gitdir: store.gitdir, oid, cache: store.cache })).tree;
}

async function writeTree(store: ObjectStore, tree: TreeEntry[], into: string[]): Promise<string> {
  const oid = await git.writeTree({ fs, gitdir: store.gitdir, tree });
  into.push(oid);
  return oid;
}

async function writeFolder(store: ObjectStore, folder: FolderTree, into: string[]): Promise<string> {
  const tree: TreeEntry[] = [];
  for (const [path, value] of folder) {
    if (typeof value === 'string') {
      const oid = await git.writeBlob({ fs, gitdir: store.gitdir, blob: utf8.encode(value) });
      into.push(oid);
      tree.push({ mode: '100644', path, oid, type: 'blob' });
    } else {
      tree.push({ mode: '040000', path, oid: await writeFolder(store, value, into), type: 'tree' });
    }
  }
  return writeTree(store, tree, into);
}

/** Every object under a tree, the tree included. */
async function objectsUnder(store: ObjectStore, oid: string, into = new Set<string>()): Promise<Set<string>> {
  into.add(oid);
  for (const entry of await entries(store, oid)) {
    if (entry.type === 'tree') await objectsUnder(store, entry.oid, into);
    else into.add(entry.oid);
  }
  return into;
}

/**
 * The trees from `root` down to the folder's parent (levels[i] holds the entries of the tree at the first i
 * segments), and the folder's tree id if it is there.
 */
async function pathTrees(
  store: ObjectStore,
  root: string | undefined,
  segments: readonly string[],
): Promise<{ levels: TreeEntry[][]; folder: string | undefined }> {
  const levels: TreeEntry[][] = [];
  let oid = root;
  for (const [depth, name] of segments.entries()) {
    const level = oid === undefined ? [] : await entries(store, oid);
    levels.push(level);
    const entry = level.find((candidate) => candidate.path === name);
    if (entry !== undefined && entry.type !== 'tree') {
      throw new ValidationError(
        'folder',
        `${segments.slice(0, depth + 1).join('/')} is a file in the repository`,
      );
    }
    oid = entry?.oid;
  }
  return { levels, folder: oid };
}

/** The folder's tree id in a root tree, if it is there. */
export async function folderOid(
  store: ObjectStore,
  root: string,
  folder: string,
): Promise<string | undefined> {
  return (await pathTrees(store, root, folder.split('/'))).folder;
}

/**
 * Writes a commit on `base` in which `folder` holds exactly the change's tree, without reading any folder but
 * the one changed and the trees above it; undefined when the folder is already so. Other folders' trees are
 * reused by id, so only the changed path is rewritten.
 */
export async function buildFolderCommit(
  store: ObjectStore,
  base: string | undefined,
  change: FolderChange,
): Promise<BuiltCommit | undefined> {
  const segments = change.folder.split('/');
  const root =
    base === undefined
      ? undefined
      : (await git.readCommit({ fs, gitdir: store.gitdir, oid: base, cache: store.cache })).commit.tree;
  const { levels, folder: oldFolder } = await pathTrees(store, root, segments);
  const written: string[] = [];
  let child = change.tree === undefined ? undefined : await writeFolder(store, change.tree, written);
  if (child === oldFolder) return undefined;
  // What the old folder held is on the remote already (it is the remote head's): only send what is new.
  const known = oldFolder === undefined ? new Set<string>() : await objectsUnder(store, oldFolder);
  const newObjects = [...new Set(written)].filter((oid) => !known.has(oid));
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    const name = segments[depth] ?? '';
    const tree = (levels[depth] ?? []).filter((entry) => entry.path !== name);
    if (child !== undefined) tree.push({ mode: '040000', path: name, oid: child, type: 'tree' });
    // A folder left empty goes (git keeps no empty folders); the root stays, empty or not.
    child = tree.length === 0 && depth > 0 ? undefined : await writeTree(store, tree, newObjects);
  }
  const signature = { ...change.author, timestamp: change.timestamp, timezoneOffset: 0 };
  const oid = await git.writeCommit({
    fs,
    gitdir: store.gitdir,
    commit: {
      message: `${change.message.trimEnd()}\n`,
      tree: child ?? '',
      parent: base === undefined ? [] : [base],
      author: signature,
      committer: signature,
    },
  });
  return { oid, newObjects: [...newObjects, oid] };
}
