import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { ValidationError } from '#src/platform/domain/errors.js';
import type {
  Author,
  CommitResult,
  CommitTenantFolder,
  EnvironmentRepository,
  FindCommit,
  GitTokenProvider,
  RemoveResult,
  RemoveTenantFolder,
} from './environment-repository.port.js';
import { GitPushRejectedError, GitPushRetriesExhaustedError } from './errors.js';
import { type BuiltCommit, buildFolderCommit, type FolderChange } from './folder-commit.js';
import { type Fetch, postReceivePack, type Remote, tokenAuthorization } from './git-http.js';
import { changedFolder, recentCommits } from './history.js';
import { type CloneLimits, LocalClone } from './local-clone.js';
import { isStaleRejection, type RefUpdateStatus, receivePackRequest, ZERO_OID } from './pkt-line.js';
import { checkCommitMeta, type FolderTree, folderTree, pathSegments } from './tenant-folder.js';

export interface IsomorphicGitRepositoryOptions {
  /** The repository's smart-HTTP URL, without credentials. */
  url: string;
  /** Absent for an anonymous server (the local one). */
  token?: GitTokenProvider;
  branch?: string;
  /**
   * Where clones are kept, one folder per URL and branch; one process per folder (default:
   * `<os.tmpdir()>/bbws-git-cache/<pid>`, which a warm Lambda keeps across invocations).
   */
  cacheRoot?: string;
  /** Commits findCommit looks back over, and the depth of a fresh clone (default 100). */
  historyDepth?: number;
  /** Pushes tried before giving up when someone else keeps pushing first (default 20). */
  maxPushAttempts?: number;
  /** When the cached clone is dropped and fetched anew (default: past 32 packs or 256 own commits). */
  cacheLimits?: CloneLimits;
  fetch?: Fetch;
  now?: () => Date;
  /** Waits between attempts (full jitter, 50 ms doubling up to 2 s); injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * The environment repository on isomorphic-git: commits are built from git objects in a cached bare clone
 * (only the changed folder and the trees above it are rewritten) and pushed as a pack of exactly the new
 * objects through smart-HTTP receive-pack; a push beaten by someone else's is rebuilt on the fresh head.
 */
export class IsomorphicGitEnvironmentRepository implements EnvironmentRepository {
  readonly #remote: Remote;
  readonly #clone: LocalClone;
  readonly #ref: string;
  readonly #options: Required<
    Pick<IsomorphicGitRepositoryOptions, 'now' | 'sleep' | 'random' | 'maxPushAttempts'>
  >;

  constructor(options: IsomorphicGitRepositoryOptions) {
    const url = new URL(options.url);
    if (url.username !== '' || url.password !== '') {
      throw new ValidationError('url', 'credentials come from the token provider, not the URL');
    }
    const { token } = options;
    this.#remote = {
      url: options.url,
      fetch: options.fetch ?? globalThis.fetch,
      headers: async () => (token === undefined ? {} : tokenAuthorization(await token())),
    };
    const branch = options.branch ?? 'main';
    const key = createHash('sha256').update(`${options.url}#${branch}`).digest('hex').slice(0, 32);
    // Writes to a clone are serialised within a process only: processes never share a default folder.
    const gitdir = join(options.cacheRoot ?? join(tmpdir(), 'bbws-git-cache', String(process.pid)), key);
    this.#clone = new LocalClone(gitdir, branch, options.historyDepth ?? 100, options.cacheLimits);
    this.#ref = `refs/heads/${branch}`;
    this.#options = {
      now: options.now ?? (() => new Date()),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
      maxPushAttempts: options.maxPushAttempts ?? 20,
    };
  }

  async commitTenantFolder({ folder, files, message, author }: CommitTenantFolder): Promise<CommitResult> {
    pathSegments('folder', folder);
    checkCommitMeta(message, author);
    const { sha, parent, changed } = await this.#write(folder, folderTree(files), message, author);
    // A folder of at least one file leaves a head behind, whether or not this call committed.
    if (sha === undefined) throw new Error('a commit of files left no head');
    return { sha, parent, changed };
  }

  async removeTenantFolder({ folder, message, author }: RemoveTenantFolder): Promise<RemoveResult> {
    pathSegments('folder', folder);
    checkCommitMeta(message, author);
    return this.#write(folder, undefined, message, author);
  }

  async findCommit({ folder, messageContains }: FindCommit): Promise<string | undefined> {
    if (folder !== undefined) pathSegments('folder', folder);
    const { store } = this.#clone;
    return this.#clone.exclusive(async () => {
      const head = await this.#clone.sync(this.#remote);
      for await (const { oid, commit } of recentCommits(store, head, this.#clone.depth)) {
        if (!commit.message.includes(messageContains)) continue;
        if (folder === undefined || (await changedFolder(store, commit, folder))) return oid;
      }
      return undefined;
    });
  }

  async head(): Promise<string | undefined> {
    return this.#clone.remoteHead(this.#remote);
  }

  /**
   * A warm clone builds on the head it last saw and checks that head just before pushing, so someone else's
   * push can beat ours only within about one request; a cold clone fetches first. A beaten push (or a head
   * that moved before it) is rebuilt on the freshly fetched head, after a jittered backoff, up to
   * maxPushAttempts times.
   */
  #write(
    folder: string,
    tree: FolderTree | undefined,
    message: string,
    author: Author,
  ): Promise<RemoveResult> {
    return this.#clone.exclusive(async () => {
      const { maxPushAttempts, now } = this.#options;
      const cached = await this.#clone.cachedHead(this.#remote.url);
      let base = cached ?? (await this.#clone.fetch(this.#remote));
      for (let attempt = 1; ; attempt++) {
        const timestamp = Math.floor(now().getTime() / 1000);
        const outcome = await this.#attempt(base, { folder, tree, message, author, timestamp });
        if ('done' in outcome) return outcome.done;
        if (attempt >= maxPushAttempts) {
          throw new GitPushRetriesExhaustedError(folder, attempt, { cause: outcome.rejection });
        }
        // A stale cache is not a collision: only a head that moved after we fetched it calls for a wait.
        if (outcome.pushed || attempt > 1 || cached === undefined) await this.#backoff(attempt);
        base = await this.#clone.fetch(this.#remote);
      }
    });
  }

  /** Builds on `base` and pushes if `base` is still the head: done, or why to try again. */
  async #attempt(
    base: string | undefined,
    change: FolderChange,
  ): Promise<{ done: RemoveResult } | { rejection: GitPushRejectedError; pushed: boolean }> {
    const built = await buildFolderCommit(this.#clone.store, base, change);
    if ((await this.#clone.remoteHead(this.#remote)) !== base) {
      return {
        rejection: new GitPushRejectedError(this.#ref, 'fetch first (the head moved before the push)'),
        pushed: false,
      };
    }
    if (built === undefined) {
      const parent = base === undefined ? undefined : await this.#clone.firstParent(base);
      return { done: { sha: base, parent, changed: false } };
    }
    const status = await this.#push(base, built);
    if (status.ok) {
      await this.#clone.advance(built.oid);
      return { done: { sha: built.oid, parent: base, changed: true } };
    }
    const rejection = new GitPushRejectedError(this.#ref, status.reason);
    if (!isStaleRejection(status.reason)) throw rejection;
    return { rejection, pushed: true };
  }

  async #push(base: string | undefined, built: BuiltCommit): Promise<RefUpdateStatus> {
    const { store } = this.#clone;
    const { packfile } = await git.packObjects({
      fs,
      gitdir: store.gitdir,
      oids: built.newObjects,
      cache: store.cache,
    });
    const update = {
      ref: this.#ref,
      oldOid: base ?? ZERO_OID,
      newOid: built.oid,
      capabilities: ['report-status'],
    };
    return postReceivePack(this.#remote, receivePackRequest(update, packfile ?? new Uint8Array()), this.#ref);
  }

  /** Full jitter: a random wait of up to 50 ms, doubling per attempt, at most 2 s. */
  #backoff(attempt: number): Promise<void> {
    return this.#options.sleep(Math.round(this.#options.random() * Math.min(2000, 50 * 2 ** (attempt - 1))));
  }
}
