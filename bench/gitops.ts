/**
 * GitOps benchmark. First half (`--part commit`): commit + push of one tenant's folder by the isomorphic-git
 * adapter (warm cache) into a repository holding 10 tenants' folders and into one holding 2,000, on the local git
 * server (node-git-server over the system git), with the raw floor measured interleaved in the same run: a
 * `git push` of a one-file commit by the system git into the 10-tenant repository, and HTTP round trips to the
 * server. Second half (`--part provision`, bench/gitops-provisioning.ts): 50 concurrent provisionings through
 * the whole local runtime to ACTIVE. Run: npm run bench:gitops [-- --help] (both halves). The last line is one
 * JSON object of the figures; the run fails (exit 1) if any figure is not a finite number, or any instance did
 * not become ACTIVE, or a commit or run is missing or doubled.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IsomorphicGitEnvironmentRepository } from '#src/contexts/instances/git/isomorphic-git.environment-repository.js';
import { type LocalGitServer, startLocalGitServer } from '#src/contexts/instances/git/local-git-server.js';
import { git } from '#src/contexts/instances/git/system-git.js';
import { provisioningBench } from './gitops-provisioning.js';
import {
  median,
  NonFiniteFigureError,
  parseBenchArgs,
  percentile,
  printFigures,
  type Sample,
  wholeNumber,
} from './measure.js';

const USAGE = `Usage: npm run bench:gitops [-- options]

  --part P             commit (commit + push, 10 vs 2,000 tenants), provision (concurrent provisionings to
                       ACTIVE through the local runtime) or all (default: all, commit first)
  --iterations N       commit: measured commits per figure, after 3 warm-up rounds (default 30)
  --small N            commit: tenants in the small repository (default 10)
  --large N            commit: tenants in the large repository (default 2000)
  --instances N        provision: tenants, one prod instance each, all requested at once (default 50)
  --poll-ms N          provision: how often each instance's status is read (default 1000; the time to ACTIVE
                       is taken from the status's updatedAt, not from the poll)
  --timeout-seconds N  provision: an instance not ACTIVE this long after its POST fails the run (default 150)
  -h, --help           this text`;
const PARTS = ['commit', 'provision', 'all'] as const;
const options = parseBenchArgs(USAGE, () => {
  const { values } = parseArgs({
    options: {
      part: { type: 'string', default: 'all' },
      iterations: { type: 'string', default: '30' },
      small: { type: 'string', default: '10' },
      large: { type: 'string', default: '2000' },
      instances: { type: 'string', default: '50' },
      'poll-ms': { type: 'string', default: '1000' },
      'timeout-seconds': { type: 'string', default: '150' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const part = PARTS.find((p) => p === values.part);
  if (!part) throw new RangeError(`--part takes ${PARTS.join(', ')}; got "${values.part}"`);
  return {
    help: values.help,
    part,
    iterations: wholeNumber('iterations', values.iterations),
    small: wholeNumber('small', values.small),
    large: wholeNumber('large', values.large),
    instances: wholeNumber('instances', values.instances),
    pollMs: wholeNumber('poll-ms', values['poll-ms']),
    timeoutSeconds: wholeNumber('timeout-seconds', values['timeout-seconds']),
  };
});
const WARMUP = 3;
const author = { name: 'BBWS bench', email: 'bench@bbws.test' };

/** File -> size in bytes, as the Terraform generator writes a tenant's folder (eleven JSON files, about 18 KB). */
const SHARED_FILES = {
  'service.tf.json': 6800,
  'database.tf.json': 1900,
  'routing.tf.json': 1850,
  'outputs.tf.json': 1450,
  'scaling.tf.json': 1300,
  'app-password.tf.json': 1000,
  'providers.tf.json': 600,
  'versions.tf.json': 470,
};
const OWN_FILES = { 'tenant.tf.json': 1600, 'shared.tf.json': 550, 'backend.tf.json': 400 };

/** JSON of about `bytes` bytes that compresses about as well as Terraform JSON does (not to nothing). */
function filler(seed: string, bytes: number): string {
  const entries: string[] = [];
  for (let i = 0; entries.join(',\n').length < bytes; i++) {
    entries.push(`    "${seed}_${i}": "${createHash('sha256').update(`${seed}:${i}`).digest('base64')}"`);
  }
  return `{\n  "locals": {\n${entries.join(',\n')}\n  }\n}\n`;
}

/** A tenant's folder: most files are the same for every tenant, three carry its own values. */
function tenantFiles(tenant: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(SHARED_FILES)) files[name] = filler(name, bytes);
  for (const [name, bytes] of Object.entries(OWN_FILES)) files[name] = filler(`${tenant}_${name}`, bytes);
  return files;
}

/**
 * One commit per tenant (as provisioning makes them), written by `git fast-import` straight into the repo (each
 * commit of the stream continues the branch's tip).
 */
async function seed(bare: string, tenants: number): Promise<void> {
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = 1; i <= tenants; i++) {
    const tenant = `tenant-${String(i).padStart(5, '0')}`;
    const lines = Object.entries(tenantFiles(tenant)).map(
      ([file, content]) => `M 100644 inline tenants/${tenant}/${file}\n${data(content)}`,
    );
    const when = 1_700_000_000 + i;
    chunks.push(
      `commit refs/heads/main\ncommitter ${author.name} <${author.email}> ${when} +0000\n${data(`Provision ${tenant}`)}${lines.join('')}`,
    );
  }
  const child = spawn('git', ['-C', bare, 'fast-import', '--quiet'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))),
  );
  child.stdin.end(chunks.join(''));
  await done;
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const round2 = (n: number) => Math.round(n * 100) / 100;

async function commitPush(work: string, server: LocalGitServer): Promise<Record<string, number>> {
  // The system git pushes into a repository of its own, seeded as the small one, so that neither side's
  // pushes make the other fetch.
  const repos = { small: 'tenants-small', large: 'tenants-large' } as const;
  const seeds = [
    [repos.small, options.small],
    [repos.large, options.large],
    ['tenants-small-system-git', options.small],
  ] as const;
  for (const [name, tenants] of seeds) {
    const started = Date.now();
    await seed(await server.createRepository(name), tenants);
    console.log(`seeded ${name}: ${tenants} tenants in ${Date.now() - started} ms`);
  }
  const packBytes = { small: 0, large: 0 };
  const adapter = (size: keyof typeof repos) =>
    new IsomorphicGitEnvironmentRepository({
      url: server.url(repos[size]),
      cacheRoot: join(work, `cache-${size}`),
      fetch: async (input, init) => {
        if (String(input).endsWith('/git-receive-pack'))
          packBytes[size] = init?.body instanceof Uint8Array ? init.body.length : Number.NaN;
        return fetch(input, init);
      },
    });
  const ours = { small: adapter('small'), large: adapter('large') };
  // A cold cache's first operation: the shallow clone (last 100 commits) and a findCommit scan over them.
  const coldClone = await time(() => ours.large.findCommit({ messageContains: 'no such event' }));

  const clone = join(work, 'system-clone');
  await git(['clone', '--quiet', server.url('tenants-small-system-git'), clone]);
  let pushes = 0;
  /** Only the push is timed: the one-file commit is made before. */
  const systemPush = async (): Promise<number> => {
    await writeFile(join(clone, 'raw-floor.txt'), `${++pushes}\n`);
    await git(['-C', clone, 'add', 'raw-floor.txt']);
    await git(['-C', clone, 'commit', '--quiet', '-m', `raw floor ${pushes}`]);
    return time(() => git(['-C', clone, 'push', '--quiet', 'origin', 'main']));
  };

  let serial = 0;
  const commitOne = (size: keyof typeof repos) => {
    const tenant = `bench-${String(++serial).padStart(5, '0')}`;
    return time(() =>
      ours[size].commitTenantFolder({
        folder: `tenants/${tenant}`,
        files: tenantFiles(tenant),
        message: `Provision ${tenant}\n\nEvent: bench-${serial}`,
        author,
      }),
    );
  };
  const roundTrip = (path: string) =>
    time(async () => (await fetch(`${server.url(repos.small)}${path}`)).arrayBuffer());
  const samples: Record<'small' | 'large' | 'gitPush' | 'http' | 'infoRefs', Sample> = {
    small: [],
    large: [],
    gitPush: [],
    http: [],
    infoRefs: [],
  };
  for (let i = 0; i < WARMUP + options.iterations; i++) {
    const round = {
      small: await commitOne('small'),
      large: await commitOne('large'),
      gitPush: await systemPush(),
      http: await roundTrip('/no-such-path'),
      infoRefs: await roundTrip('/info/refs?service=git-receive-pack'),
    };
    if (i < WARMUP) continue;
    for (const [key, value] of Object.entries(round)) samples[key as keyof typeof samples].push(value);
  }
  const figure = (key: keyof typeof samples, p: number) => round2(percentile(samples[key], p));
  const figures = {
    commitPushSmallP50Ms: figure('small', 50),
    commitPushSmallP90Ms: figure('small', 90),
    commitPushLargeP50Ms: figure('large', 50),
    commitPushLargeP90Ms: figure('large', 90),
    largeVsSmallP50: round2(median(samples.large) / median(samples.small)),
    largeVsSmallP90: round2(percentile(samples.large, 90) / percentile(samples.small, 90)),
    systemGitPushSmallP50Ms: figure('gitPush', 50),
    systemGitPushSmallP90Ms: figure('gitPush', 90),
    commitPushSmallVsSystemGitPush: round2(median(samples.small) / median(samples.gitPush)),
    httpRoundTripP50Ms: figure('http', 50),
    infoRefsRoundTripP50Ms: figure('infoRefs', 50),
    pushBytesSmall: packBytes.small,
    pushBytesLarge: packBytes.large,
    coldCloneLargeMs: round2(coldClone),
  };
  console.log(
    `commit + push, ${options.small} tenants: p50 ${figures.commitPushSmallP50Ms} ms, p90 ${figures.commitPushSmallP90Ms} ms`,
  );
  console.log(
    `commit + push, ${options.large} tenants: p50 ${figures.commitPushLargeP50Ms} ms, p90 ${figures.commitPushLargeP90Ms} ms`,
  );
  console.log(
    `ratio ${options.large} / ${options.small}: p50 ${figures.largeVsSmallP50}×, p90 ${figures.largeVsSmallP90}× (target ≤ 3×)`,
  );
  console.log(
    `raw floor: system git push ${figures.systemGitPushSmallP50Ms} ms, HTTP round trip ${figures.httpRoundTripP50Ms} ms, info/refs ${figures.infoRefsRoundTripP50Ms} ms`,
  );
  return figures;
}

/** The first half, on its own git server in a temporary folder. */
async function firstHalf(): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'bbws-bench-gitops-'));
  const server = await startLocalGitServer({ root: join(work, 'repos') });
  try {
    return await commitPush(work, server);
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const figures: Record<string, number> = {};
  if (options.part !== 'provision') Object.assign(figures, await firstHalf());
  let failures: string[] = [];
  if (options.part !== 'commit') {
    const second = await provisioningBench(options);
    console.log(second.lines.join('\n'));
    Object.assign(figures, second.figures);
    failures = second.failures;
    // Named before the figures: a figure left NaN by them fails the run there too.
    if (failures.length > 0)
      console.error(`not every provisioning completed as it should:\n${failures.join('\n')}`);
  }
  printFigures(figures);
  if (failures.length > 0) throw new Error(`${failures.length} shortfalls (named above)`);
}

await main().catch((error: unknown) => {
  console.error(error instanceof NonFiniteFigureError ? error.message : error);
  process.exitCode = 1;
});
