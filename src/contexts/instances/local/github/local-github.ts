import { createHash } from 'node:crypto';
import { DEPLOY_TENANT_WORKFLOW_PATH, type TerraformEnvironment } from '../../terraform/index.js';
import { fileAt, resolveRef } from '../git/bare-repository.js';
import type { EnvironmentRepository } from '../git/environment-repositories.js';
import { type Run, repositoryView, runView, type Urls, type Workflow, workflowView } from './runs.js';
import type { ApplyTarget } from './terraform-apply.js';
import { type Delivery, sendWebhook } from './webhooks.js';
import { parseWorkflow, render, type WorkflowFile } from './workflow-file.js';
import { executeRun } from './workflow-run.js';

export interface GitHubTiming {
  /** From dispatch to a runner picking the run up. */
  queuedMs: number;
  /** A runner's time on the run before its steps finish. */
  inProgressMs: number;
  /** The report step's curl retry pause. */
  retryMs: number;
}

export interface LocalGitHubOptions {
  token: string;
  repositories: readonly EnvironmentRepository[];
  targets: Readonly<Record<TerraformEnvironment, ApplyTarget>>;
  /** Repository variables and secrets the workflow reads (the same for every environment repository here). */
  variables: Record<string, string>;
  secrets: Record<string, string>;
  /**
   * Each environment repository's own secrets, over `secrets` (as GitHub's repository secrets: the deploy-outcome
   * secret `BBWS_CONTROL_PLANE_WEBHOOK_SECRET` differs per environment, so that no environment reports for another).
   */
  environmentSecrets?: Partial<Record<TerraformEnvironment, Record<string, string>>>;
  /** The repository webhook for `workflow_run` events (requested, in_progress, completed). */
  webhook?: { url: string; secret: string };
  timing?: Partial<GitHubTiming>;
  log?: (line: string) => void;
}

/** A 4xx answer as GitHub's REST API gives it. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const workflowIdOf = (path: string): number =>
  100_000 + (createHash('sha256').update(path).digest().readUInt32BE(0) % 900_000);

/**
 * GitHub Actions for the environment repositories: workflow_dispatch creates a run that waits `queuedMs`, waits
 * again behind its concurrency group (as GitHub: one running, one pending, a newer pending run cancels the older),
 * runs the workflow file at its commit (workflow-run.ts), completes, and sends `workflow_run` webhooks.
 * `failNext` (and `FAILRUN` inside an event_id input) makes `terraform apply` fail.
 */
export class LocalGitHub {
  readonly timing: GitHubTiming;
  readonly runs: Run[] = [];
  readonly deliveries: Delivery[] = [];
  urls: Urls = { api: 'http://127.0.0.1' };
  private nextId = Math.floor(Date.now() / 1000) * 10;
  private jobIds = 0;
  private readonly failures: { tenantId?: string; count: number; reason: string }[] = [];
  private readonly running = new Map<string, Run>();
  private readonly pending = new Map<string, { run: Run; go: (start: boolean) => void }>();
  private readonly lifecycles = new Set<Promise<void>>();

  constructor(readonly options: LocalGitHubOptions) {
    this.timing = { queuedMs: 100, inProgressMs: 300, retryMs: 200, ...options.timing };
  }

  /** The next `count` runs (of the tenant, when given) fail at `terraform apply` with `reason`. */
  failNext(options: { tenantId?: string; count?: number; reason?: string } = {}): void {
    const reason = options.reason ?? 'simulated failure (local GitHub stand-in)';
    this.failures.push({
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
      count: options.count ?? 1,
      reason,
    });
  }

  repository(owner: string, name: string): EnvironmentRepository {
    const found = this.options.repositories.find((r) => r.owner === owner && r.name === name);
    if (!found) throw new GitHubError(404, 'Not Found');
    return found;
  }

  /** The workflow file named by id or file name, at the commit `sha`. */
  async workflow(
    repository: EnvironmentRepository,
    ref: string,
    sha: string,
  ): Promise<{ workflow: Workflow; file: WorkflowFile }> {
    const path = /^\d+$/.test(ref)
      ? [DEPLOY_TENANT_WORKFLOW_PATH].find((p) => workflowIdOf(p) === Number(ref))
      : `.github/workflows/${ref}`;
    const text = path === undefined ? undefined : await fileAt(repository.bare, sha, path);
    if (path === undefined || text === undefined) throw new GitHubError(404, 'Not Found');
    const file = parseWorkflow(text, path);
    return { workflow: { id: workflowIdOf(path), name: file.name, path }, file };
  }

  async dispatch(
    repository: EnvironmentRepository,
    workflowRef: string,
    body: Record<string, unknown>,
  ): Promise<Run> {
    if (typeof body.ref !== 'string' || body.ref === '')
      throw new GitHubError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
    const sha = await resolveRef(repository.bare, body.ref);
    if (!sha) throw new GitHubError(422, `No ref found for: ${body.ref}`);
    const { workflow, file } = await this.workflow(repository, workflowRef, sha);
    if (!file.inputs) throw new GitHubError(422, "Workflow does not have 'workflow_dispatch' trigger");
    const inputs = validInputs(file, (body.inputs ?? {}) as Record<string, unknown>);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const github = {
      repository: `${repository.owner}/${repository.name}`,
      sha,
      ref: `refs/heads/${body.ref}`,
    };
    const run: Run = {
      id: ++this.nextId,
      runNumber:
        this.runs.filter((r) => r.repository === repository && r.workflow.id === workflow.id).length + 1,
      repository,
      workflow,
      headBranch: body.ref.replace(/^refs\/heads\//, ''),
      headSha: sha,
      displayTitle: render(file.runName ?? file.name, { inputs, github }),
      inputs,
      ...(file.concurrency ? { concurrencyGroup: render(file.concurrency, { inputs, github }) } : {}),
      status: 'queued',
      conclusion: null,
      createdAt: now,
      updatedAt: now,
      startedAt: now,
      actor: 'bbws-control-plane',
      jobId: ++this.jobIds + this.nextId,
      steps: [],
      log: [],
    };
    this.runs.push(run);
    const lifecycle = this.lifecycle(run, file).catch((error) =>
      this.options.log?.(`run ${run.id}: ${String(error)}`),
    );
    this.lifecycles.add(lifecycle);
    void lifecycle.finally(() => this.lifecycles.delete(lifecycle));
    return run;
  }

  /** Resolves once every run dispatched so far has completed and its webhooks were sent. */
  async idle(): Promise<void> {
    while (this.lifecycles.size > 0) await Promise.allSettled([...this.lifecycles]);
  }

  private async lifecycle(run: Run, file: WorkflowFile): Promise<void> {
    await this.hook(run, 'requested');
    await sleep(this.timing.queuedMs);
    if (!(await this.admit(run))) {
      await this.complete(run, 'cancelled');
      return;
    }
    run.status = 'in_progress';
    run.startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.touch(run);
    await this.hook(run, 'in_progress');
    await sleep(this.timing.inProgressMs);
    await executeRun(run, file, {
      target: this.options.targets[run.repository.environment],
      variables: this.options.variables,
      secrets: { ...this.options.secrets, ...this.options.environmentSecrets?.[run.repository.environment] },
      failure: (r) => this.failure(r),
      retryMs: this.timing.retryMs,
    }).catch((error) => {
      run.log.push(`##[error]${String(error)}`);
      run.conclusion = 'failure';
    });
    await this.complete(run, run.conclusion ?? 'failure');
  }

  /** Waits behind the run's concurrency group; false when a newer run cancelled it meanwhile. */
  private admit(run: Run): Promise<boolean> {
    const group = run.concurrencyGroup;
    if (group === undefined) return Promise.resolve(true);
    if (!this.running.has(group)) {
      this.running.set(group, run);
      return Promise.resolve(true);
    }
    const older = this.pending.get(group);
    if (older) older.go(false);
    run.status = 'pending';
    this.touch(run);
    return new Promise((resolve) =>
      this.pending.set(group, {
        run,
        go: (start) => {
          this.pending.delete(group);
          if (start) this.running.set(group, run);
          resolve(start);
        },
      }),
    );
  }

  private async complete(run: Run, conclusion: NonNullable<Run['conclusion']>): Promise<void> {
    run.status = 'completed';
    run.conclusion = conclusion;
    this.touch(run);
    const group = run.concurrencyGroup;
    if (group !== undefined && this.running.get(group) === run) {
      this.running.delete(group);
      this.pending.get(group)?.go(true);
    }
    this.options.log?.(`run ${run.id} (${run.displayTitle}) ${conclusion}`);
    await this.hook(run, 'completed');
  }

  private failure(run: Run): string | undefined {
    if ((run.inputs.event_id ?? '').includes('FAILRUN'))
      return 'simulated failure requested by the dispatch (FAILRUN)';
    const tenant = run.inputs.tenant_id;
    const rule = this.failures.find(
      (f) => f.count > 0 && (f.tenantId === undefined || f.tenantId === tenant),
    );
    if (!rule) return undefined;
    rule.count -= 1;
    return rule.reason;
  }

  private touch(run: Run): void {
    run.updatedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private async hook(run: Run, action: 'requested' | 'in_progress' | 'completed'): Promise<void> {
    const webhook = this.options.webhook;
    if (!webhook) return;
    const payload = {
      action,
      workflow_run: runView(this.urls, run),
      workflow: workflowView(this.urls, run.repository, run.workflow),
      repository: repositoryView(this.urls, run.repository),
      sender: { login: run.actor, id: 1, type: 'User' },
    };
    this.deliveries.push(await sendWebhook({ ...webhook, id: 1 }, 'workflow_run', payload));
  }
}

function validInputs(file: WorkflowFile, given: Record<string, unknown>): Record<string, string> {
  const declared = file.inputs ?? {};
  const unexpected = Object.keys(given).filter((k) => !(k in declared));
  if (unexpected.length > 0)
    throw new GitHubError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(declared)) {
    const value = given[name] === undefined ? undefined : String(given[name]);
    if (value === undefined && input.required)
      throw new GitHubError(422, `Required input '${name}' not provided`);
    if (value !== undefined && input.type === 'choice' && !input.options?.includes(value))
      throw new GitHubError(
        422,
        `Provided value '${value}' for input '${name}' not in the list of allowed values`,
      );
    if (value !== undefined) inputs[name] = value;
  }
  return inputs;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
