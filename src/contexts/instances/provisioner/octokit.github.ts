import { Octokit } from '@octokit/rest';
import { DEPLOY_TENANT_WORKFLOW_PATH } from '../terraform/index.js';
import type { DeployWorkflow, RepositoryRef, WorkflowRunView } from './ports.js';

const WORKFLOW = DEPLOY_TENANT_WORKFLOW_PATH.split('/').pop() ?? 'deploy-tenant.yml';
/** Pages of 100 runs looked through for the own run (dispatched since the change began). */
const MAX_PAGES = 5;

const view = (run: {
  id: number;
  html_url: string;
  status: string | null;
  conclusion: string | null;
  display_title: string;
}): WorkflowRunView => ({
  id: run.id,
  url: run.html_url,
  status: run.status ?? 'queued',
  conclusion: run.conclusion,
  title: run.display_title,
});

const octokitFor = (token: string, baseUrl: string): Octokit =>
  new Octokit({ auth: token, baseUrl, log: silent, request: { retries: 0 } });

/**
 * The deploy workflow through @octokit/rest. The token is asked for on every call (the provider caches it), so a
 * rotated token is picked up without a cold start; the Octokit is made once per token (its plugins and defaults are
 * built once, not per call). Octokit's own errors (RequestError with `status`) propagate: a 5xx or a network error
 * fails the message, which the queue retries.
 */
export class OctokitDeployWorkflow implements DeployWorkflow {
  private current: { token: string; octokit: Octokit } | undefined;

  constructor(
    private readonly token: () => Promise<string>,
    private readonly baseUrl = 'https://api.github.com',
    /** Tests count the clients made. */
    private readonly create: (token: string, baseUrl: string) => Octokit = octokitFor,
  ) {}

  private async client(): Promise<Octokit> {
    const token = await this.token();
    if (this.current?.token !== token) this.current = { token, octokit: this.create(token, this.baseUrl) };
    return this.current.octokit;
  }

  /** Newest first, following GitHub's Link pages (100 runs each), at most MAX_PAGES of them. */
  async findRun(repository: RepositoryRef, title: string, since: string) {
    const octokit = await this.client();
    const pages = octokit.paginate.iterator(octokit.rest.actions.listWorkflowRuns, {
      owner: repository.owner,
      repo: repository.name,
      workflow_id: WORKFLOW,
      event: 'workflow_dispatch',
      created: `>=${since}`,
      per_page: 100,
    });
    let read = 0;
    for await (const { data } of pages) {
      const found = data.find((run) => run.display_title === title);
      if (found) return view(found);
      if (++read >= MAX_PAGES) return undefined;
    }
    return undefined;
  }

  async dispatch(
    repository: RepositoryRef,
    inputs: { tenantId: string; action: 'apply' | 'destroy'; eventId: string },
  ) {
    const octokit = await this.client();
    const { data } = await octokit.request(
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      {
        owner: repository.owner,
        repo: repository.name,
        workflow_id: WORKFLOW,
        ref: 'main',
        inputs: { tenant_id: inputs.tenantId, action: inputs.action, event_id: inputs.eventId },
        return_run_details: true,
      },
    );
    const details = data as unknown as { workflow_run_id?: number; html_url?: string };
    if (typeof details.workflow_run_id !== 'number' || typeof details.html_url !== 'string')
      throw new Error('the dispatch answered without run details (return_run_details)');
    return { id: details.workflow_run_id, url: details.html_url };
  }

  async run(repository: RepositoryRef, runId: number) {
    const octokit = await this.client();
    const { data } = await octokit.rest.actions.getWorkflowRun({
      owner: repository.owner,
      repo: repository.name,
      run_id: runId,
    });
    return view(data);
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
