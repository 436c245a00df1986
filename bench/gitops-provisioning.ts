/**
 * GitOps benchmark, second half: concurrent provisionings through the whole local system. The local runtime runs
 * as `npm start` runs it, in a child process (bench/gitops-runtime.ts); this process, as an Operator, creates one
 * prod tenant per instance, then sends every POST /tenants/{id}/instances {environment: prod} at once and polls
 * each instance's status until ACTIVE (or FAILED, or the deadline). Then it checks that nothing was lost: the prod
 * environment repository (the bare repository, read with the system git) holds one folder per tenant, each with
 * exactly one commit, its provisioning commit; the GitHub stand-in ran one apply per tenant, all successful; each
 * tenant's WordPress answers through the prod ALB stand-in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { git } from '#src/contexts/instances/git/system-git.js';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import type { Report, ReportRequest, RunSummary, RuntimeReady } from './gitops-runtime.js';
import { percentile } from './measure.js';

export interface ProvisioningOptions {
  instances: number;
  pollMs: number;
  timeoutSeconds: number;
}

interface Outcome {
  tenantId: string;
  instanceId?: string;
  /** When the POST was sent (ms since the epoch). */
  sent: number;
  /** When its 202 came back. */
  accepted?: number;
  /** From sending the POST to the updatedAt of the first status read as ACTIVE. */
  toActiveMs?: number;
  /** From sending the POST to the poll that first read ACTIVE. */
  observedMs?: number;
  failure?: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The runtime child, ready; `report()` asks it for the GitHub stand-in's runs. */
async function startRuntime(stateDir: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, join(HERE, 'gitops-runtime.ts')],
    {
      cwd: join(HERE, '..'),
      env: { ...process.env, BBWS_BENCH_STATE_DIR: stateDir },
      // Its stdout is the handlers' JSON logs (npm start prints them): discarded, as bench:api does.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // Its own process group, so that stop() can end it and everything it spawned (DynamoDB Local, git).
      detached: true,
    },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const ready = await new Promise<RuntimeReady>((done, fail) => {
    child.once('message', (message) => done(message as RuntimeReady));
    child.once('exit', (code) => fail(new Error(`the runtime process exited (${code}) before it was ready`)));
  });
  return {
    ready,
    report: (instanceIds: string[]) =>
      new Promise<Report>((done) => {
        child.once('message', (message) => done(message as Report));
        child.send({ report: instanceIds } satisfies ReportRequest);
      }),
    stop: async () => {
      if (child.exitCode === null && child.connected) child.send('stop');
      const timeout = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** The parts of the answers the benchmark reads, parsed (a changed answer fails it by name). */
const CreatedTenant = z.object({ tenantId: z.string() });
const CreatedInstance = z.object({
  instanceId: z.string(),
  state: z.string(),
  _links: z.object({ status: z.object({ href: z.string() }) }),
});
const InstanceStatus = z.object({ state: z.string(), updatedAt: z.string(), failure: z.unknown() });

function client(base: string, token: string) {
  return async <T>(
    method: string,
    path: string,
    expect: number,
    schema: z.ZodType<T>,
    body?: unknown,
  ): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status !== expect)
      throw new Error(`${method} ${path}: ${response.status} (expected ${expect}) ${text.slice(0, 300)}`);
    return schema.parse(JSON.parse(text));
  };
}
type Call = ReturnType<typeof client>;

/** `count` tasks, at most `width` at a time. */
async function inBatches<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width)
    results.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(width, count - start) }, (_, j) => task(start + j)),
      )),
    );
  return results;
}

/** One provisioning: the POST, then the status every `pollMs` until ACTIVE, FAILED or the deadline. */
async function provision(call: Call, tenantId: string, opts: ProvisioningOptions): Promise<Outcome> {
  const sent = Date.now();
  const deadline = sent + opts.timeoutSeconds * 1000;
  let instanceId: string | undefined;
  try {
    const created = await call('POST', `/v1.0/tenants/${tenantId}/instances`, 202, CreatedInstance, {
      environment: 'prod',
    });
    const accepted = Date.now();
    instanceId = created.instanceId;
    const statusPath = created._links.status.href;
    let last = created.state;
    while (Date.now() < deadline) {
      await sleep(opts.pollMs);
      const status = await call('GET', statusPath, 200, InstanceStatus);
      last = status.state;
      if (last === 'ACTIVE')
        return {
          tenantId,
          instanceId,
          sent,
          accepted,
          toActiveMs: Date.parse(status.updatedAt) - sent,
          observedMs: Date.now() - sent,
        };
      if (last === 'FAILED')
        return { tenantId, instanceId, sent, failure: `FAILED: ${JSON.stringify(status.failure)}` };
    }
    return { tenantId, instanceId, sent, failure: `still ${last} after ${opts.timeoutSeconds} s` };
  } catch (error) {
    return { tenantId, ...(instanceId ? { instanceId } : {}), sent, failure: String(error) };
  }
}

/** Per tenant folder, the subjects of the commits that touched it (the whole history of `main`). */
async function commitsByFolder(bare: string): Promise<Map<string, string[]>> {
  const log = await git(['-C', bare, 'log', '--format=%x1e%s', '--name-only', 'main']);
  const byFolder = new Map<string, string[]>();
  for (const entry of log.split('\x1e').slice(1)) {
    const [subject = '', ...paths] = entry.split('\n').filter(Boolean);
    const folders = new Set(
      paths.map((p) => /^tenants\/([^/]+)\//.exec(p)?.[1]).filter((f) => f !== undefined),
    );
    for (const folder of folders) byFolder.set(folder, [...(byFolder.get(folder) ?? []), subject]);
  }
  return byFolder;
}

/** Where an instance's time to ACTIVE went: from the POST through its 202 and the first event of each type to ACTIVE. */
type Milestones = Record<string, string>;
const first = (type: string) => (_: Outcome, firsts: Milestones) => Date.parse(firsts[type] ?? '');
const SEGMENTS: readonly { key: string; label: string; end: (o: Outcome, firsts: Milestones) => number }[] = [
  { key: 'accepted', label: 'POST -> 202 (all sent at once)', end: (o) => o.accepted ?? Number.NaN },
  {
    key: 'pickedUp',
    label: '-> the provisioner starts its commit (publisher, rule, queue, batches ahead)',
    end: first('INSTANCE_COMMIT_STARTED'),
  },
  {
    key: 'committed',
    label: '-> commit pushed (push conflicts retried on the fresh head)',
    end: first('INSTANCE_COMMITTED'),
  },
  { key: 'dispatched', label: '-> workflow dispatched', end: first('INSTANCE_WORKFLOW_QUEUED') },
  {
    key: 'runSucceeded',
    label: '-> run succeeded (queued, in progress, terraform apply, report)',
    end: first('INSTANCE_WORKFLOW_SUCCEEDED'),
  },
  {
    key: 'active',
    label: '-> ACTIVE (ECS running follows desired, SERVICE_STEADY_STATE, state sync)',
    end: (o) => o.sent + (o.toActiveMs ?? Number.NaN),
  },
];

function segments(outcomes: Outcome[], milestones: Report['milestones']) {
  const samples = SEGMENTS.map(() => [] as number[]);
  for (const o of outcomes.filter((o) => o.toActiveMs !== undefined)) {
    const firsts = milestones[o.instanceId ?? ''] ?? {};
    let previous = o.sent;
    for (const [i, segment] of SEGMENTS.entries()) {
      const at = segment.end(o, firsts);
      samples[i]?.push(at - previous);
      previous = at;
    }
  }
  return SEGMENTS.map(({ key, label }, i) => ({ key, label, sample: samples[i] ?? [] }));
}

/** What the repository, the GitHub stand-in and the ALB stand-in show for the benchmark's tenants. */
async function verify(ready: RuntimeReady, runs: RunSummary[], tenants: string[]) {
  const failures: string[] = [];
  const byFolder = await commitsByFolder(ready.prodBare);
  const folders = (await git(['-C', ready.prodBare, 'ls-tree', '--name-only', 'main', 'tenants/']))
    .split('\n')
    .filter(Boolean);
  let foldersWithOneProvisioningCommit = 0;
  for (const tenantId of tenants) {
    const subjects = byFolder.get(tenantId) ?? [];
    const ok =
      subjects.length === 1 &&
      subjects[0]?.startsWith(`provision tenant ${tenantId} (prod, change 1) [event `);
    if (ok) foldersWithOneProvisioningCommit++;
    else failures.push(`tenant ${tenantId}: commits on its folder ${JSON.stringify(subjects)}`);
  }
  const ours = runs.filter((r) => r.tenantId !== undefined && tenants.includes(r.tenantId));
  const succeeded = ours.filter((r) => r.action === 'apply' && r.conclusion === 'success');
  for (const tenantId of tenants) {
    const n = ours.filter((r) => r.tenantId === tenantId).length;
    if (n !== 1) failures.push(`tenant ${tenantId}: ${n} workflow runs`);
  }
  const answering = await Promise.all(
    tenants.map(async (tenantId) => {
      const response = await fetch(`${ready.prodAlbUrl}/`, { headers: { 'x-tenant-id': tenantId } });
      await response.arrayBuffer();
      return response.status === 200;
    }),
  );
  const wordpressAnswering = answering.filter(Boolean).length;
  if (wordpressAnswering !== tenants.length)
    failures.push(`${tenants.length - wordpressAnswering} WordPress not answering through the ALB stand-in`);
  return {
    failures,
    figures: {
      tenantFolders: folders.length,
      foldersWithOneProvisioningCommit,
      provisioningCommits: [...byFolder.values()].flat().filter((s) => s.startsWith('provision tenant '))
        .length,
      runs: ours.length,
      runsSucceeded: succeeded.length,
      wordpressAnswering,
    },
    steps: ours[0]?.steps ?? [],
  };
}

/**
 * Runs the second half; returns its figures, the lines to print, and every shortfall (an instance not ACTIVE, a
 * commit or run missing or doubled), which fails the benchmark.
 */
export async function provisioningBench(opts: ProvisioningOptions) {
  const stateDir = await mkdtemp(join(tmpdir(), 'bbws-bench-provisioning-'));
  // The tokens are signed with the keys the runtime verifies with: made here, before the child reads them.
  const keys = localKeys(join(stateDir, 'auth'));
  const startedRuntime = Date.now();
  const runtime = await startRuntime(stateDir);
  try {
    const { ready } = runtime;
    const operator = signLocalToken(keys, { sub: 'bench-operator', 'cognito:groups': ['Operator'] });
    const call = client(ready.httpUrl, operator);
    const runtimeStartMs = Date.now() - startedRuntime;
    const tenants = await inBatches(opts.instances, 10, async (i) => {
      const tenant = await call('POST', '/v1.0/tenants', 201, CreatedTenant, {
        organizationName: `GitOps bench ${process.pid} ${i + 1}`,
        contactEmail: `ops${i + 1}@gitops-bench.test`,
        environment: 'prod',
      });
      return tenant.tenantId;
    });
    const loadBefore = loadavg();
    const started = performance.now();
    const outcomes = await Promise.all(tenants.map((tenantId) => provision(call, tenantId, opts)));
    const wallMs = performance.now() - started;
    const loadAfter = loadavg();
    const report = await runtime.report(outcomes.flatMap((o) => (o.instanceId ? [o.instanceId] : [])));
    const checked = await verify(ready, report.runs, tenants);
    const parts = segments(outcomes, report.milestones);
    // The pushes land on one ref of one repository, one after the other: how far apart, on average.
    const commitTimes = Object.values(report.milestones)
      .map((m) => Date.parse(m.INSTANCE_COMMITTED ?? ''))
      .sort((a, b) => a - b);
    const commitsSpanMs = (commitTimes.at(-1) ?? Number.NaN) - (commitTimes[0] ?? Number.NaN);
    const active = outcomes.filter((o) => o.toActiveMs !== undefined);
    const toActive = active.map((o) => o.toActiveMs ?? Number.NaN);
    const observed = active.map((o) => o.observedMs ?? Number.NaN);
    const simulatedMs = ready.github.queuedMs + ready.github.inProgressMs + ready.ecs.taskStartMs;
    const p50 = percentile(toActive, 50);
    const figures = {
      instances: opts.instances,
      active: active.length,
      toActiveP50Ms: Math.round(p50),
      toActiveP99Ms: Math.round(percentile(toActive, 99)),
      toActiveMaxMs: Math.round(Math.max(...toActive)),
      toActiveMinMs: Math.round(Math.min(...toActive)),
      observedActiveP50Ms: Math.round(percentile(observed, 50)),
      wallMs: Math.round(wallMs),
      ...checked.figures,
      ...Object.fromEntries(
        parts.flatMap((p) => [
          [`${p.key}P50Ms`, Math.round(percentile(p.sample, 50))],
          [`${p.key}MaxMs`, Math.round(Math.max(...p.sample))],
        ]),
      ),
      commitsSpanMs: Math.round(commitsSpanMs),
      msBetweenCommits: Math.round(commitsSpanMs / (commitTimes.length - 1)),
      simulatedDelayMs: simulatedMs,
      simulatedShareOfP50: round2(simulatedMs / p50),
      simulatedShareOfWall: round2(simulatedMs / wallMs),
      runtimeStartMs,
      loadAverage1mBefore: round2(loadBefore[0] ?? Number.NaN),
      loadAverage1mAfter: round2(loadAfter[0] ?? Number.NaN),
    };
    const failures = [
      ...outcomes
        .filter((o) => o.failure !== undefined)
        .map((o) => `tenant ${o.tenantId} instance ${o.instanceId ?? '(none)'}: ${o.failure}`),
      ...checked.failures,
    ];
    const lines = [
      `${opts.instances} concurrent provisionings (prod), status polled every ${opts.pollMs} ms; runtime up in ${runtimeStartMs} ms`,
      `stand-ins' simulated delays per instance: GitHub queuedMs ${ready.github.queuedMs} + inProgressMs ${ready.github.inProgressMs} (retryMs ${ready.github.retryMs}, only when the report step's curl retries), ECS taskStartMs ${ready.ecs.taskStartMs} (running follows desired) = ${simulatedMs} ms`,
      `a run's steps: ${checked.steps.join('; ')}`,
      `ACTIVE ${active.length}/${opts.instances}; time to ACTIVE p50 ${figures.toActiveP50Ms} ms, p99 ${figures.toActiveP99Ms} ms, max ${figures.toActiveMaxMs} ms, min ${figures.toActiveMinMs} ms; wall ${figures.wallMs} ms`,
      'where the time went (per instance, ms: p50, min, max):',
      ...parts.map(
        (p) =>
          `  ${p.label.padEnd(84)}${[percentile(p.sample, 50), Math.min(...p.sample), Math.max(...p.sample)].map((x) => String(Math.round(x)).padStart(7)).join('')}`,
      ),
      `the ${commitTimes.length} commits landed over ${figures.commitsSpanMs} ms: one every ${figures.msBetweenCommits} ms`,
      `simulated delays: ${Math.round(figures.simulatedShareOfP50 * 100)}% of the p50, ${Math.round(figures.simulatedShareOfWall * 100)}% of the wall time`,
      `prod repository: ${figures.tenantFolders} tenant folders, ${figures.foldersWithOneProvisioningCommit} with exactly one commit (their provisioning), ${figures.provisioningCommits} provisioning commits; runs ${figures.runs} (${figures.runsSucceeded} succeeded); WordPress answering through the ALB ${figures.wordpressAnswering}`,
      `load average (1 min) before ${figures.loadAverage1mBefore}, after ${figures.loadAverage1mAfter}`,
    ];
    return { figures, lines, failures };
  } finally {
    await runtime.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
