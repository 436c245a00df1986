import fs from 'node:fs';
import git from 'isomorphic-git';
import { GitRemoteError } from './errors.js';
import type { ObjectStore } from './folder-commit.js';
import { fetchHttpClient, type Remote, receivePackRefs } from './git-http.js';

/** Past these the clone is dropped and fetched anew: it gains one pack per fetch, loose objects per commit. */
export interface CloneLimits {
  packs: number;
  ownCommits: number;
}
const LIMITS: CloneLimits = { packs: 32, ownCommits: 256 };

/** Operations on one clone run one at a time in this process (a Lambda runs one invocation at a time anyway). */
const queues = new Map<string, Promise<unknown>>();

/**
 * A bare clone of one branch, kept across warm invocations: shallow (the last `depth` commits, all that
 * findCommit looks at), brought up to date by fetching only what is new, and advanced by our own pushes
 * without fetching them back. Its branch ref is the remote's head as last seen.
 */
export class LocalClone {
  readonly store: ObjectStore;
  readonly #ref: string;
  #ownCommits = 0;

  constructor(
    gitdir: string,
    readonly branch: string,
    readonly depth: number,
    readonly limits: CloneLimits = LIMITS,
  ) {
    this.store = { gitdir, cache: {} };
    this.#ref = `refs/heads/${branch}`;
  }

  /** Runs `work` once every earlier operation on this clone (by any adapter of this process) has settled. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const key = this.store.gitdir;
    const run = (queues.get(key) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    try {
      return await run;
    } finally {
      if (queues.get(key) === settled) queues.delete(key);
    }
  }

  /** The head as the next push will see it: `GET info/refs?service=git-receive-pack`. */
  async remoteHead(remote: Remote): Promise<string | undefined> {
    const advertised = await receivePackRefs(remote);
    if (!advertised.capabilities.has('report-status')) {
      throw new GitRemoteError(`${remote.url}: receive-pack without report-status`);
    }
    return advertised.refs.get(this.#ref);
  }

  /** The remote's head as last seen, if its commit is in the clone; undefined for a new clone. */
  async cachedHead(url: string): Promise<string | undefined> {
    await this.#prepare(url);
    try {
      const oid = await git.resolveRef({ fs, gitdir: this.store.gitdir, ref: this.#ref });
      await git.readCommit({ fs, gitdir: this.store.gitdir, oid, cache: this.store.cache });
      return oid;
    } catch {
      return undefined;
    }
  }

  /**
   * Fetches what is new on the branch (a new clone takes the last `depth` commits) and returns its head;
   * undefined for an empty branch.
   */
  async fetch(remote: Remote): Promise<string | undefined> {
    const cached = await this.cachedHead(remote.url);
    const fetched = await git
      .fetch({
        fs,
        http: fetchHttpClient(remote.fetch),
        gitdir: this.store.gitdir,
        url: remote.url,
        ref: this.branch,
        singleBranch: true,
        tags: false,
        headers: await remote.headers(),
        cache: this.store.cache,
        ...(cached === undefined ? { depth: this.depth } : {}),
      })
      .catch((error: unknown) => {
        const status = (error as { data?: { statusCode?: unknown } }).data?.statusCode;
        const code = typeof status === 'number' ? status : undefined;
        const what = code === 401 || code === 403 ? `HTTP ${code} not authorised` : String(error);
        throw new GitRemoteError(`${remote.url}: fetch failed: ${what}`, code, { cause: error });
      });
    const head = fetched.fetchHead ?? undefined;
    if (head !== undefined) await this.advance(head, false);
    else if (cached !== undefined) await git.deleteRef({ fs, gitdir: this.store.gitdir, ref: this.#ref });
    return head;
  }

  /** The remote's head with its commit and tree in the clone: fetches only when the head moved. */
  async sync(remote: Remote): Promise<string | undefined> {
    const head = await this.remoteHead(remote);
    return head === (await this.cachedHead(remote.url)) ? head : this.fetch(remote);
  }

  /** Records `oid` (ours, just pushed, or just fetched) as the remote's head. */
  async advance(oid: string, own = true): Promise<void> {
    await git.writeRef({ fs, gitdir: this.store.gitdir, ref: this.#ref, value: oid, force: true });
    if (own) this.#ownCommits++;
  }

  async firstParent(oid: string): Promise<string | undefined> {
    return (await git.readCommit({ fs, gitdir: this.store.gitdir, oid, cache: this.store.cache })).commit
      .parent[0];
  }

  /** Creates the clone on first use, and starts it afresh once it has grown past the bounds above. */
  async #prepare(url: string): Promise<void> {
    const { gitdir } = this.store;
    const packs = fs.existsSync(`${gitdir}/objects/pack`)
      ? fs.readdirSync(`${gitdir}/objects/pack`).filter((name) => name.endsWith('.pack')).length
      : 0;
    if (packs > this.limits.packs || this.#ownCommits > this.limits.ownCommits) {
      await fs.promises.rm(gitdir, { recursive: true, force: true });
      this.store.cache = {};
      this.#ownCommits = 0;
    }
    if (!fs.existsSync(`${gitdir}/HEAD`)) {
      await fs.promises.mkdir(gitdir, { recursive: true });
      await git.init({ fs, gitdir, bare: true, defaultBranch: this.branch });
      await git.addRemote({ fs, gitdir, remote: 'origin', url, force: true });
    }
  }
}
