/**
 * The CloudFormation template `serverless package` writes for a stage, packaged offline at most once per content
 * of the sources: cached under `.local/templates/<stage>-<hash>.json`, the hash covering everything that can change
 * the template (serverless.yml, the lockfile, the definitions and handlers in src/, projections/, migrations/);
 * each packaging removes cached templates older than a day.
 *
 * Packaging runs serverless-esbuild, whose work folder two packagings must not share (seen: a hang). So packaging
 * holds a lock file (`.local/templates/package.lock`, with the holder's pid; a lock whose holder is gone is taken
 * over), a waiter that gets the lock finds the template the holder cached, and the work folder is our own
 * (`.local/templates/esbuild`, through serverless.yml's `BBWS_ESBUILD_WORK_FOLDER`), apart from `npm run package`'s.
 * Synchronous on purpose: callers are start-up code and tests (as `loadWiring` is).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CloudFormationTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  [section: string]: unknown;
}

export interface PackageOptions {
  /** Repository root: serverless.yml, scripts/sls.mjs, the sources. */
  root: string;
  stage: string;
  /** How long to wait for another packaging to finish (default 5 minutes). */
  lockTimeoutMs?: number;
}

const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/** serverless-esbuild's work folder for these packagings (relative to the root; one at a time, under the lock). */
const WORK_FOLDER = '.local/templates/esbuild';
const RUNNER = fileURLToPath(new URL('./package-runner.mjs', import.meta.url));
const HASHED_FILES = ['serverless.yml', 'package-lock.json', 'scripts/sls.mjs'];
const HASHED_DIRS = ['src', 'projections', 'migrations'];

/** The packaged template of `stage`, from the cache when the sources are unchanged. Throws when packaging fails. */
export function packagedTemplate(options: PackageOptions): CloudFormationTemplate {
  const dir = join(options.root, '.local', 'templates');
  const cached = join(dir, `${options.stage}-${sourceHash(options.root)}.json`);
  if (existsSync(cached)) return readTemplate(cached);
  mkdirSync(dir, { recursive: true });
  const isCached = () => existsSync(cached);
  return withLock(join(dir, 'package.lock'), options.lockTimeoutMs ?? 300_000, isCached, () => {
    if (isCached()) return readTemplate(cached); // the previous holder packaged it
    const template = packageNow(options.root, options.stage);
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(template));
    renameSync(partial, cached);
    pruneOlderThan(dir, DAY_MS);
    return template;
  });
}

const DAY_MS = 86_400_000;

/** Cached templates of sources long gone (every edit makes a new one): removed by the next packaging. */
function pruneOlderThan(dir: string, ageMs: number): void {
  for (const file of readdirSync(dir).filter((f) => /^[a-z]+-[0-9a-f]{16}\.json$/.test(f))) {
    const path = join(dir, file);
    if (Date.now() - statSync(path).mtimeMs > ageMs) rmSync(path, { force: true });
  }
}

/** A hash of every file that can change the packaged template (test files excluded). */
export function sourceHash(root: string): string {
  const hash = createHash('sha256');
  const files = [
    ...HASHED_FILES.filter((file) => existsSync(join(root, file))),
    ...HASHED_DIRS.flatMap((dir) => sourceFiles(root, dir)),
  ];
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|cjs|mjs|js|json)$/.test(file) && !/\.test\.ts$/.test(file))
    .map((file) => join(dir, file))
    .filter((file) => statSync(join(root, file)).isFile())
    .sort();
}

function readTemplate(file: string): CloudFormationTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as CloudFormationTemplate;
}

function packageNow(root: string, stage: string): CloudFormationTemplate {
  const out = mkdtempSync(join(tmpdir(), `sls-${stage}-`));
  try {
    rmSync(join(root, WORK_FOLDER), { recursive: true, force: true });
    // through package-runner.mjs: a bundle that fails to build makes serverless hang after its error report
    const run = spawnSync(process.execPath, [RUNNER, root, 'package', '--stage', stage, '--package', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      killSignal: 'SIGKILL',
      // serverless.yml's outputWorkFolder: our own, so `npm run package` or a benchmark packaging at the same
      // time (outside this lock) never shares serverless-esbuild's work folder with us
      env: { ...process.env, BBWS_ESBUILD_WORK_FOLDER: WORK_FOLDER },
    });
    if (run.status !== 0) {
      const why = run.error ? String(run.error) : `exit ${run.status ?? run.signal}`;
      throw new Error(`serverless package --stage ${stage} failed (${why}):\n${run.stdout}\n${run.stderr}`);
    }
    return readTemplate(join(out, TEMPLATE_FILE));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Runs `body` holding the lock file; waits for a live holder, takes over from a dead one. A waiter whose template
 * another holder has cached meanwhile (`ready`) runs `body` at once, without queueing behind other stages.
 */
function withLock<T>(lock: string, timeoutMs: number, ready: () => boolean, body: () => T): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return body();
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (fd !== undefined) {
      try {
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return body();
      } finally {
        rmSync(lock, { force: true });
      }
    }
    if (holderIsGone(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `another packaging still holds ${lock} after ${timeoutMs} ms (pid ${readHolder(lock)})`,
      );
    }
    sleepSync(100);
  }
}

function readHolder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function holderIsGone(lock: string): boolean {
  const pid = readHolder(lock);
  if (pid === undefined) {
    // just created and not yet written, or unreadable: give the holder a moment before calling it gone
    try {
      return Date.now() - statSync(lock).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
