import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenLocal } from '#src/platform/local/ports.js';
import { GitHubError, type LocalGitHub } from './local-github.js';
import { jobView, matchesFilters, runHtmlUrl, runView, workflowView } from './runs.js';

type Params = Record<string, string>;
type Handler = (
  github: LocalGitHub,
  p: Params,
  query: URLSearchParams,
  body: Record<string, unknown>,
) => Promise<Answer>;
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const REPO = '/repos/(?<owner>[^/]+)/(?<repo>[^/]+)/actions';
const routes: [string, RegExp, Handler][] = [
  ['POST', new RegExp(`^${REPO}/workflows/(?<wf>[^/]+)/dispatches$`), dispatch],
  ['GET', new RegExp(`^${REPO}/workflows/(?<wf>[^/]+)$`), getWorkflow],
  ['GET', new RegExp(`^${REPO}/workflows/(?<wf>[^/]+)/runs$`), listRuns],
  ['GET', new RegExp(`^${REPO}/runs$`), listRuns],
  [
    'GET',
    new RegExp(`^${REPO}/runs/(?<id>\\d+)$`),
    async (g, p) => ({ status: 200, body: runView(g.urls, findRun(g, p)) }),
  ],
  [
    'GET',
    new RegExp(`^${REPO}/runs/(?<id>\\d+)/jobs$`),
    async (g, p) => ({ status: 200, body: { total_count: 1, jobs: [jobView(g.urls, findRun(g, p))] } }),
  ],
  [
    'GET',
    new RegExp(`^${REPO}/jobs/(?<job>\\d+)/logs$`),
    async (g, p) => ({
      status: 302,
      headers: { location: `${g.urls.api}/_logs/jobs/${findJob(g, p).jobId}.txt` },
    }),
  ],
];

/** GitHub's REST API for Actions on 127.0.0.1 (octokit's `baseUrl`; GHES's `/api/v3` prefix is accepted too). */
export async function startGitHubServer(
  github: LocalGitHub,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => void handle(github, req, res));
  const url = await listenLocal(server, port);
  github.urls = { api: url };
  return {
    url,
    close: () => closeServer(server),
  };
}

async function handle(github: LocalGitHub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && servePage(github, path, res)) return;
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!route) throw new GitHubError(404, 'Not Found');
    authorise(github, req.headers.authorization);
    const params = { ...(route[1].exec(path)?.groups ?? {}) };
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    const answer = await route[2](github, params, url.searchParams, body);
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  } catch (error) {
    problem(res, error);
  }
}

function problem(res: ServerResponse, error: unknown): void {
  const status = error instanceof GitHubError ? error.status : error instanceof SyntaxError ? 400 : 500;
  const message = error instanceof Error ? error.message : String(error);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest', status: String(status) }),
  );
}

/** The pages outside the API: a job's log (a pre-signed download on GitHub) and a run's html_url. */
function servePage(github: LocalGitHub, path: string, res: ServerResponse): boolean {
  const log = /^\/_logs\/jobs\/(\d+)\.txt$/.exec(path);
  if (log) text(res, 200, findJob(github, { job: log[1] ?? '' }).log.join('\n'), 'text/plain');
  const page = log ? null : /^\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/.exec(path);
  if (page)
    text(
      res,
      200,
      html(github, { owner: page[1] ?? '', repo: page[2] ?? '', id: page[3] ?? '' }),
      'text/html',
    );
  return log !== null || page !== null;
}

/**
 * `Authorization: Bearer <token>` or `token <token>`. A wrong token is 401 Bad credentials; none at all is 404,
 * as GitHub answers for a private repository it will not admit exists.
 */
function authorise(github: LocalGitHub, header: string | undefined): void {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new GitHubError(404, 'Not Found');
  const given = Buffer.from(match[1] ?? '');
  const expected = Buffer.from(github.options.token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new GitHubError(401, 'Bad credentials');
}

async function dispatch(
  github: LocalGitHub,
  p: Params,
  _q: URLSearchParams,
  body: Record<string, unknown>,
): Promise<Answer> {
  const run = await github.dispatch(github.repository(p.owner ?? '', p.repo ?? ''), p.wf ?? '', body);
  if (body.return_run_details !== true) return { status: 204 };
  const view = runView(github.urls, run);
  return { status: 200, body: { workflow_run_id: run.id, run_url: view.url, html_url: view.html_url } };
}

async function getWorkflow(github: LocalGitHub, p: Params): Promise<Answer> {
  const repository = github.repository(p.owner ?? '', p.repo ?? '');
  const { workflow } = await github.workflow(repository, p.wf ?? '', 'main');
  return { status: 200, body: workflowView(github.urls, repository, workflow) };
}

/** Newest first; `per_page` (at most 100) and `page`, with GitHub's Link header. */
async function listRuns(github: LocalGitHub, p: Params, query: URLSearchParams): Promise<Answer> {
  const repository = github.repository(p.owner ?? '', p.repo ?? '');
  const workflowId =
    p.wf === undefined ? undefined : (await github.workflow(repository, p.wf, 'main')).workflow.id;
  const runs = github.runs
    .filter((r) => r.repository === repository && (workflowId === undefined || r.workflow.id === workflowId))
    .filter((r) => matchesFilters(r, query))
    .reverse();
  const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30), 1), 100);
  const page = Math.max(Number(query.get('page') ?? 1), 1);
  const last = Math.max(Math.ceil(runs.length / perPage), 1);
  const link = (n: number, rel: string) => {
    const next = new URLSearchParams(query);
    next.set('page', String(n));
    next.set('per_page', String(perPage));
    return `<${github.urls.api}${requestPath(p)}?${next}>; rel="${rel}"`;
  };
  return {
    status: 200,
    body: {
      total_count: runs.length,
      workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map((r) => runView(github.urls, r)),
    },
    headers: page < last ? { link: `${link(page + 1, 'next')}, ${link(last, 'last')}` } : {},
  };
}

const requestPath = (p: Params) =>
  `/repos/${p.owner}/${p.repo}/actions${p.wf === undefined ? '' : `/workflows/${p.wf}`}/runs`;

function findRun(github: LocalGitHub, p: Params) {
  const repository = github.repository(p.owner ?? '', p.repo ?? '');
  const run = github.runs.find((r) => r.id === Number(p.id) && r.repository === repository);
  if (!run) throw new GitHubError(404, 'Not Found');
  return run;
}

function findJob(github: LocalGitHub, p: Params) {
  const run = github.runs.find((r) => r.jobId === Number(p.job));
  if (!run) throw new GitHubError(404, 'Not Found');
  return run;
}

function html(github: LocalGitHub, p: Params): string {
  const run = findRun(github, p);
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><title>${esc(run.displayTitle)}</title><h1>${esc(run.displayTitle)}</h1><p>${run.status} ${run.conclusion ?? ''} at ${run.headSha} (<a href="${runHtmlUrl(github.urls, run)}">run ${run.id}</a>)</p><pre>${esc(run.log.join('\n'))}</pre>\n`;
}

function text(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}
