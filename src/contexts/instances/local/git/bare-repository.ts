import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const COMMITTER = {
  GIT_AUTHOR_NAME: 'BBWS local runtime',
  GIT_AUTHOR_EMAIL: 'local-runtime@bbws.test',
  GIT_COMMITTER_NAME: 'BBWS local runtime',
  GIT_COMMITTER_EMAIL: 'local-runtime@bbws.test',
};

/** The system git in a bare repository (plumbing only: no work tree, no network). */
async function git(bare: string, args: readonly string[], input?: string): Promise<string> {
  const child = run('git', ['-C', bare, ...args], {
    env: { ...process.env, ...COMMITTER },
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The commit a branch (`main`, `refs/heads/main`) or a full sha names; undefined when there is none. */
export async function resolveRef(bare: string, ref: string): Promise<string | undefined> {
  const candidates = /^[0-9a-f]{40}$/.test(ref)
    ? [ref]
    : [ref.startsWith('refs/') ? ref : `refs/heads/${ref}`];
  for (const candidate of candidates) {
    const out = await git(bare, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]).catch(
      () => '',
    );
    if (out.trim() !== '') return out.trim();
  }
  return undefined;
}

/** One file at a commit; undefined when it is not there. */
export async function fileAt(bare: string, sha: string, path: string): Promise<string | undefined> {
  return git(bare, ['show', `${sha}:${path}`]).catch(() => undefined);
}

/** Every file under `folder` at a commit (paths relative to it), in two git calls; empty when absent. */
export async function folderAt(bare: string, sha: string, folder: string): Promise<Record<string, string>> {
  const listing = await git(bare, ['ls-tree', '-r', '-z', sha, '--', `${folder}/`]);
  const blobs = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      return { oid: meta.split(' ')[2] ?? '', path: path.slice(folder.length + 1) };
    });
  if (blobs.length === 0) return {};
  const all = await catFileBatch(
    bare,
    blobs.map((b) => b.oid),
  );
  const files: Record<string, string> = {};
  let at = 0;
  for (const blob of blobs) {
    const header = all.subarray(at, all.indexOf(10, at)).toString('utf8');
    const size = Number(header.split(' ')[2]);
    const start = all.indexOf(10, at) + 1;
    files[blob.path] = all.subarray(start, start + size).toString('utf8');
    at = start + size + 1;
  }
  return files;
}

/**
 * Makes the branch hold `files` (path -> content, replacing whole top-level entries they fall under) in one new
 * commit on its head, or a root commit in an empty repository; no commit when nothing changes. The ref is
 * updated only if it still points at the head read (a concurrent push wins, and this throws).
 */
export async function commitFiles(
  bare: string,
  branch: string,
  files: Readonly<Record<string, string>>,
  message: string,
): Promise<string> {
  const head = await resolveRef(bare, branch);
  const root = new Map<string, string>();
  if (head)
    for (const line of (await git(bare, ['ls-tree', head])).split('\n').filter(Boolean))
      root.set(line.split('\t')[1] ?? '', line);
  const tops = new Map<string, Record<string, string>>();
  for (const [path, content] of Object.entries(files)) {
    const [top = '', ...rest] = path.split('/');
    tops.set(top, { ...tops.get(top), [rest.join('/')]: content });
  }
  for (const [top, below] of tops) root.set(top, await entry(bare, top, below));
  const tree = (await git(bare, ['mktree'], `${[...root.values()].join('\n')}\n`)).trim();
  if (head && (await git(bare, ['rev-parse', `${head}^{tree}`])).trim() === tree) return head;
  const commit = (
    await git(bare, ['commit-tree', tree, ...(head ? ['-p', head] : []), '-m', message])
  ).trim();
  await git(bare, ['update-ref', `refs/heads/${branch}`, commit, head ?? '0'.repeat(40)]);
  return commit;
}

/** A tree entry line for `name` holding `files` (a blob when the only path is empty). */
async function entry(bare: string, name: string, files: Record<string, string>): Promise<string> {
  if (Object.keys(files).length === 1 && files[''] !== undefined) {
    const oid = (await git(bare, ['hash-object', '-w', '--stdin'], files[''])).trim();
    return `100644 blob ${oid}\t${name}`;
  }
  const groups = new Map<string, Record<string, string>>();
  for (const [path, content] of Object.entries(files)) {
    const [first = '', ...rest] = path.split('/');
    groups.set(first, { ...groups.get(first), [rest.join('/')]: content });
  }
  const lines = await Promise.all([...groups].map(([child, below]) => entry(bare, child, below)));
  const oid = (await git(bare, ['mktree'], `${lines.join('\n')}\n`)).trim();
  return `040000 tree ${oid}\t${name}`;
}

/** `git cat-file --batch` of the objects: each as `<oid> <type> <size>\n<content>\n`. */
function catFileBatch(bare: string, oids: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', bare, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git cat-file exited with ${code}`)),
    );
    child.stdin.end(`${oids.join('\n')}\n`);
  });
}
