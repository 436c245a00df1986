import { createHash } from 'node:crypto';
import type {
  CommitResult,
  CommitTenantFolder,
  EnvironmentRepository,
  FindCommit,
  RemoveResult,
  RemoveTenantFolder,
} from './environment-repository.port.js';
import { checkCommitMeta, folderTree, pathSegments } from './tenant-folder.js';

interface State {
  commits: Map<string, Commit>;
  head: string | undefined;
}

interface Commit {
  sha: string;
  parent: string | undefined;
  message: string;
  /** Full path -> content. */
  files: ReadonlyMap<string, string>;
}

const within = (folder: string) => (path: string) => path.startsWith(`${folder}/`);

/**
 * A real in-memory repository: a linear history of whole snapshots, with the adapter's rules (validation,
 * no empty commits, findCommit over the last `historyDepth` commits).
 */
export class InMemoryEnvironmentRepository implements EnvironmentRepository {
  readonly #state: State;
  readonly #historyDepth: number;

  constructor(
    options: { historyDepth?: number } = {},
    state: State = { commits: new Map(), head: undefined },
  ) {
    this.#historyDepth = options.historyDepth ?? 100;
    this.#state = state;
  }

  /** Another client of the same repository (as another Lambda's adapter would be). */
  client(options: { historyDepth?: number } = {}): InMemoryEnvironmentRepository {
    return new InMemoryEnvironmentRepository(options, this.#state);
  }

  async commitTenantFolder({ folder, files, message, author }: CommitTenantFolder): Promise<CommitResult> {
    pathSegments('folder', folder);
    folderTree(files);
    checkCommitMeta(message, author);
    const next = new Map([...this.#current()].filter(([path]) => !within(folder)(path)));
    for (const [path, content] of Object.entries(files)) next.set(`${folder}/${path}`, content);
    const { sha, parent, changed } = this.#commit(next, message);
    // A folder of at least one file leaves a head behind, whether or not this call committed.
    if (sha === undefined) throw new Error('a commit of files left no head');
    return { sha, parent, changed };
  }

  async removeTenantFolder({ folder, message, author }: RemoveTenantFolder): Promise<RemoveResult> {
    pathSegments('folder', folder);
    checkCommitMeta(message, author);
    return this.#commit(new Map([...this.#current()].filter(([path]) => !within(folder)(path))), message);
  }

  async findCommit({ folder, messageContains }: FindCommit): Promise<string | undefined> {
    let sha = this.#state.head;
    for (let seen = 0; sha !== undefined && seen < this.#historyDepth; seen++) {
      const commit = this.#get(sha);
      if (
        commit.message.includes(messageContains) &&
        (folder === undefined || this.#changed(commit, folder))
      ) {
        return sha;
      }
      sha = commit.parent;
    }
    return undefined;
  }

  async head(): Promise<string | undefined> {
    return this.#state.head;
  }

  /** The files under `folder` at `sha` (relative paths), or undefined when the folder is not there. */
  folderAt(sha: string, folder: string): Record<string, string> | undefined {
    const entries = [...this.#get(sha).files].filter(([path]) => within(folder)(path));
    if (entries.length === 0) return undefined;
    return Object.fromEntries(entries.map(([path, content]) => [path.slice(folder.length + 1), content]));
  }

  /** Someone else's commit of one file (a person, another tool). */
  commitFileAsOther(path: string, content: string, message: string): string {
    const { sha } = this.#commit(new Map([...this.#current(), [path, content]]), message);
    return sha ?? '';
  }

  /** The first-parent history from the head, newest first. */
  history(): string[] {
    const shas: string[] = [];
    for (let sha = this.#state.head; sha !== undefined; sha = this.#get(sha).parent) shas.push(sha);
    return shas;
  }

  #current(): ReadonlyMap<string, string> {
    return this.#state.head === undefined ? new Map() : this.#get(this.#state.head).files;
  }

  #get(sha: string): Commit {
    const commit = this.#state.commits.get(sha);
    if (!commit) throw new Error(`no commit ${sha}`);
    return commit;
  }

  #changed(commit: Commit, folder: string): boolean {
    const parent = commit.parent === undefined ? new Map<string, string>() : this.#get(commit.parent).files;
    return snapshot(commit.files, folder) !== snapshot(parent, folder);
  }

  #commit(files: Map<string, string>, message: string): RemoveResult {
    const head = this.#state.head;
    if (snapshot(files, '') === snapshot(this.#current(), '')) {
      return { sha: head, parent: head === undefined ? undefined : this.#get(head).parent, changed: false };
    }
    const sha = createHash('sha1')
      .update(JSON.stringify([head, message, this.#state.commits.size, [...files]]))
      .digest('hex');
    this.#state.commits.set(sha, { sha, parent: head, message, files });
    this.#state.head = sha;
    return { sha, parent: head, changed: true };
  }
}

function snapshot(files: ReadonlyMap<string, string>, folder: string): string {
  const prefix = folder === '' ? '' : `${folder}/`;
  return JSON.stringify(
    [...files].filter(([path]) => path.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}
