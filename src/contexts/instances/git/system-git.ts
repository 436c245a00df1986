import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IDENTITY = ['-c', 'user.name=Someone Else', '-c', 'user.email=someone@example.test'];

/** The system git, for checking what the adapter pushed from outside it (tests and benchmarks). */
export async function git(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<string> {
  const child = run('git', [...IDENTITY, ...args], { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  return (await child).stdout;
}

/** The files of `folder` at `sha` in a bare repository; undefined when the folder is not there. */
export async function folderAt(
  bare: string,
  sha: string,
  folder: string,
): Promise<Record<string, string> | undefined> {
  const listing = await git(['-C', bare, 'ls-tree', '-r', '--name-only', sha, '--', `${folder}/`]);
  const paths = listing.split('\n').filter(Boolean);
  if (paths.length === 0) return undefined;
  const files: Record<string, string> = {};
  for (const path of paths)
    files[path.slice(folder.length + 1)] = await git(['-C', bare, 'show', `${sha}:${path}`]);
  return files;
}

/** The first-parent history of `main`, newest first; empty for an empty repository. */
export async function history(bare: string): Promise<string[]> {
  const heads = await git(['-C', bare, 'for-each-ref', '--format=%(objectname)', 'refs/heads/main']);
  if (heads.trim() === '') return [];
  return (await git(['-C', bare, 'rev-list', '--first-parent', 'main'])).split('\n').filter(Boolean);
}

/** Someone else's commit of one file, pushed over HTTP by the system git; its sha. */
export async function commitByOther(url: string, path: string, content: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'bbws-other-'));
  try {
    await git(['clone', '--quiet', '--depth', '1', url, work]);
    await git(['-C', work, 'checkout', '--quiet', '-B', 'main']);
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
    await git(['-C', work, 'add', '--', path]);
    await git(['-C', work, 'commit', '--quiet', '-m', `Add ${path}`]);
    await git(['-C', work, 'push', '--quiet', 'origin', 'main']);
    return (await git(['-C', work, 'rev-parse', 'HEAD'])).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
