import { ValidationError } from '#src/platform/domain/errors.js';
import type { Author } from './environment-repository.port.js';

/** A folder's content as a tree: a name maps to a file's content or to a sub-folder. */
export type FolderTree = Map<string, string | FolderTree>;

const BAD_SEGMENT = /^(?:|\.|\.\.|\.git)$/i;

/** The segments of a relative path; throws ValidationError for an absolute, empty, `..` or `.git` path. */
export function pathSegments(field: string, path: string): string[] {
  const segments = path.split('/');
  const bad = segments.find((segment) => BAD_SEGMENT.test(segment) || /[\0\\]/.test(segment));
  if (bad !== undefined) throw new ValidationError(field, `"${path}" is not a plain relative path`);
  return segments;
}

/** The files as a tree; throws ValidationError when there are none or a path is both a file and a folder. */
export function folderTree(files: Readonly<Record<string, string>>): FolderTree {
  const root: FolderTree = new Map();
  const paths = Object.keys(files);
  if (paths.length === 0) throw new ValidationError('files', 'a tenant folder holds at least one file');
  for (const path of paths) {
    const segments = pathSegments('files', path);
    const name = segments.pop() ?? '';
    let node = root;
    for (const segment of segments) {
      const child = node.get(segment) ?? new Map();
      if (typeof child === 'string') throw new ValidationError('files', `"${path}" is under a file`);
      node.set(segment, child);
      node = child;
    }
    if (node.has(name)) throw new ValidationError('files', `"${path}" is both a file and a folder`);
    node.set(name, files[path] ?? '');
  }
  return root;
}

/** Commit metadata git accepts: a message, and an author without the characters of git's ident syntax. */
export function checkCommitMeta(message: string, author: Author): void {
  if (message.trim() === '') throw new ValidationError('message', 'a commit message is required');
  for (const [field, value] of [
    ['author.name', author.name],
    ['author.email', author.email],
  ] as const) {
    if (value.trim() === '' || /[<>\n\0]/.test(value)) {
      throw new ValidationError(field, 'must be non-empty, without <, > or line breaks');
    }
  }
}
