import type { EnvironmentRepository } from '../git/environment-repositories.js';

export interface Step {
  name: string;
  number: number;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'skipped' | null;
}

export interface Workflow {
  id: number;
  name: string;
  path: string;
}

export interface Run {
  id: number;
  runNumber: number;
  repository: EnvironmentRepository;
  workflow: Workflow;
  headBranch: string;
  headSha: string;
  displayTitle: string;
  inputs: Record<string, string>;
  concurrencyGroup?: string;
  status: 'queued' | 'pending' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string;
  actor: string;
  jobId: number;
  steps: Step[];
  log: string[];
}

/** The stand-in's API base (octokit's `baseUrl`) and where html_url pages are served. */
export interface Urls {
  api: string;
}

const user = (login: string) => ({ login, id: 1, node_id: 'U_local', type: 'User', site_admin: false });

export function repositoryView(urls: Urls, r: EnvironmentRepository): Record<string, unknown> {
  const fullName = `${r.owner}/${r.name}`;
  return {
    id: Number.parseInt(r.name.replace(/\D/g, '') || '1', 10) + 1000,
    node_id: `R_${r.name}`,
    name: r.name,
    full_name: fullName,
    private: true,
    owner: { ...user(r.owner), type: 'Organization' },
    html_url: `${urls.api}/${fullName}`,
    url: `${urls.api}/repos/${fullName}`,
  };
}

export function workflowView(urls: Urls, r: EnvironmentRepository, w: Workflow): Record<string, unknown> {
  return {
    id: w.id,
    node_id: `W_${w.id}`,
    name: w.name,
    path: w.path,
    state: 'active',
    url: `${urls.api}/repos/${r.owner}/${r.name}/actions/workflows/${w.id}`,
    html_url: `${urls.api}/${r.owner}/${r.name}/blob/main/${w.path}`,
  };
}

/** A run as GET /repos/{owner}/{repo}/actions/runs/{run_id} shows it (and the workflow_run webhook carries it). */
export function runView(urls: Urls, run: Run): Record<string, unknown> {
  const { owner, name } = run.repository;
  const api = `${urls.api}/repos/${owner}/${name}/actions/runs/${run.id}`;
  return {
    id: run.id,
    name: run.workflow.name,
    node_id: `WFR_${run.id}`,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.workflow.path,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: 'workflow_dispatch',
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflow.id,
    url: api,
    html_url: runHtmlUrl(urls, run),
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    actor: user(run.actor),
    triggering_actor: user(run.actor),
    run_attempt: 1,
    run_started_at: run.startedAt,
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${urls.api}/repos/${owner}/${name}/actions/workflows/${run.workflow.id}`,
    head_commit: { id: run.headSha, tree_id: run.headSha, message: '', timestamp: run.createdAt },
    repository: repositoryView(urls, run.repository),
    head_repository: repositoryView(urls, run.repository),
  };
}

export const runHtmlUrl = (urls: Urls, run: Run): string =>
  `${urls.api}/${run.repository.owner}/${run.repository.name}/actions/runs/${run.id}`;

export function jobView(urls: Urls, run: Run): Record<string, unknown> {
  return {
    id: run.jobId,
    run_id: run.id,
    run_url: `${urls.api}/repos/${run.repository.owner}/${run.repository.name}/actions/runs/${run.id}`,
    name: 'terraform',
    head_sha: run.headSha,
    status: run.status === 'pending' ? 'queued' : run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    labels: ['self-hosted', 'linux', 'bbws-terraform'],
    steps: run.steps,
    html_url: `${runHtmlUrl(urls, run)}/job/${run.jobId}`,
  };
}

/** GET .../runs filters: status (a status or a conclusion), branch, event, actor, head_sha. */
export function matchesFilters(run: Run, query: URLSearchParams): boolean {
  const status = query.get('status');
  return (
    (status === null || run.status === status || run.conclusion === status) &&
    (query.get('branch') ?? run.headBranch) === run.headBranch &&
    (query.get('event') ?? 'workflow_dispatch') === 'workflow_dispatch' &&
    (query.get('actor') ?? run.actor) === run.actor &&
    (query.get('head_sha') ?? run.headSha) === run.headSha
  );
}
