/**
 * An environment's git repository as the provisioner sees it: one folder per tenant, written whole, and a way
 * for a retried step to find the commit it made before a crash (the commit message carries the causing event
 * id). Every write is one commit on the branch's head, or none when nothing changed.
 */
export interface EnvironmentRepository {
  /**
   * Makes `folder` hold exactly `files` (paths relative to the folder; files of the folder not given are
   * removed) in one new commit on the head. An unchanged folder makes no commit and returns the head.
   */
  commitTenantFolder(input: CommitTenantFolder): Promise<CommitResult>;
  /** Removes `folder` in one new commit; a folder that is not there makes no commit. */
  removeTenantFolder(input: RemoveTenantFolder): Promise<RemoveResult>;
  /**
   * The newest of the last `historyDepth` commits (a bound of the implementation) whose message contains
   * `messageContains` and, when `folder` is given, that changed that folder.
   */
  findCommit(query: FindCommit): Promise<string | undefined>;
  /** The branch's head; undefined for an empty repository. */
  head(): Promise<string | undefined>;
}

export interface Author {
  name: string;
  email: string;
}

export interface CommitTenantFolder {
  /** A relative path such as `tenants/<tenantId>`. */
  folder: string;
  /** Relative path inside the folder -> UTF-8 content; at least one file. */
  files: Readonly<Record<string, string>>;
  message: string;
  author: Author;
}

export interface RemoveTenantFolder {
  folder: string;
  message: string;
  author: Author;
}

export interface FindCommit {
  folder?: string;
  messageContains: string;
}

/** `sha` is the head after the call, `parent` its first parent; `changed` says whether a commit was made. */
export interface CommitResult {
  sha: string;
  parent: string | undefined;
  changed: boolean;
}

/** As CommitResult; `sha` is undefined only when nothing was removed from an empty repository. */
export interface RemoveResult {
  sha: string | undefined;
  parent: string | undefined;
  changed: boolean;
}

/**
 * Gives the token for the repository's host at the time of the call (tokens expire: an implementation may
 * cache and refresh). GitHub takes it as Basic `x-access-token:<token>`.
 */
export type GitTokenProvider = () => Promise<string>;
