import { createServer, type Server } from 'node:http';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OctokitDeployWorkflow } from './octokit.github.js';

/** GitHub's "list workflow runs" for one repository: newest first, 100 a page, Link headers to the next page. */
function runsApi(total: number) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    requests.push(`${url.pathname}?${url.searchParams.toString()}`);
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const ids = Array.from({ length: total }, (_, i) => total - i).slice(
      (page - 1) * perPage,
      page * perPage,
    );
    const last = Math.ceil(total / perPage);
    const link = (p: number, rel: string) => {
      const next = new URL(url);
      next.searchParams.set('page', String(p));
      return `<http://${req.headers.host}${next.pathname}${next.search}>; rel="${rel}"`;
    };
    const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(links.length ? { link: links.join(', ') } : {}),
    });
    res.end(
      JSON.stringify({
        total_count: total,
        workflow_runs: ids.map((id) => ({
          id,
          html_url: `https://github.com/o/r/actions/runs/${id}`,
          status: 'completed',
          conclusion: 'success',
          display_title: `apply tenant T [event E${id}]`,
        })),
      }),
    );
  });
  return {
    requests,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('OctokitDeployWorkflow.findRun pages through the runs (review leftovers, #7)', () => {
  const api = runsApi(250);
  let url = '';
  beforeAll(async () => {
    url = await api.start();
  });
  afterAll(() => api.stop());
  const repository = { owner: 'o', name: 'r' };

  it('finds a run on the third page, following the Link pages', async () => {
    api.requests.length = 0;
    const workflow = new OctokitDeployWorkflow(async () => 't', url);
    const found = await workflow.findRun(repository, 'apply tenant T [event E5]', '2026-01-01T00:00:00Z');
    expect(found).toMatchObject({ id: 5, title: 'apply tenant T [event E5]', status: 'completed' });
    expect(api.requests).toHaveLength(3);
    expect(api.requests[0]).toContain('per_page=100');
    expect(api.requests[0]).toContain('event=workflow_dispatch');
    expect(api.requests[0]).toContain(`created=${encodeURIComponent('>=2026-01-01T00:00:00Z')}`);
  });

  it('stops at the first page that holds it, and after the last page when none does', async () => {
    api.requests.length = 0;
    const workflow = new OctokitDeployWorkflow(async () => 't', url);
    expect(await workflow.findRun(repository, 'apply tenant T [event E240]', 'x')).toMatchObject({ id: 240 });
    expect(api.requests).toHaveLength(1);
    api.requests.length = 0;
    expect(await workflow.findRun(repository, 'apply tenant T [event NONE]', 'x')).toBeUndefined();
    expect(api.requests).toHaveLength(3);
  });
});

describe('OctokitDeployWorkflow makes one Octokit per token (review leftovers, #7)', () => {
  it('reuses it across calls, and makes a new one when the token is rotated', async () => {
    const api = runsApi(3);
    const url = await api.start();
    try {
      let token = 't1';
      const made: string[] = [];
      const workflow = new OctokitDeployWorkflow(
        async () => token,
        url,
        (auth, baseUrl) => {
          made.push(auth);
          return new Octokit({ auth, baseUrl });
        },
      );
      await workflow.findRun({ owner: 'o', name: 'r' }, 'x', 'x');
      await workflow.findRun({ owner: 'o', name: 'r' }, 'x', 'x');
      await workflow.run({ owner: 'o', name: 'r' }, 1).catch(() => undefined);
      expect(made).toEqual(['t1']);
      token = 't2';
      await workflow.findRun({ owner: 'o', name: 'r' }, 'x', 'x');
      expect(made).toEqual(['t1', 't2']);
    } finally {
      await api.stop();
    }
  });
});
