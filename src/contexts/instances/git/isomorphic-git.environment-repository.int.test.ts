import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { author, environmentRepositoryContract, tenantFiles } from './environment-repository.contract.js';
import { GitPushRejectedError, GitPushRetriesExhaustedError, GitRemoteError } from './errors.js';
import type { Fetch } from './git-http.js';
import {
  IsomorphicGitEnvironmentRepository,
  type IsomorphicGitRepositoryOptions,
} from './isomorphic-git.environment-repository.js';
import { type LocalGitServer, startLocalGitServer } from './local-git-server.js';
import { splitPktLines } from './pkt-line.js';
import { commitByOther, folderAt, git, history } from './system-git.js';

let root: string;
let server: LocalGitServer;
let repos = 0;
let caches = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bbws-git-int-'));
  server = await startLocalGitServer({ root: join(root, 'repos') });
});
afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

async function newRepository(): Promise<{ name: string; bare: string; url: string }> {
  const name = `env-${++repos}`;
  return { name, bare: await server.createRepository(name), url: server.url(name) };
}

/** A client with a cache folder of its own, as a separate Lambda has. */
const client = (url: string, options: Partial<IsomorphicGitRepositoryOptions> = {}) =>
  new IsomorphicGitEnvironmentRepository({ url, cacheRoot: join(root, `cache-${++caches}`), ...options });

/** fetch that logs each request and runs `beforePush` before forwarding a receive-pack POST. */
function recordingFetch(beforePush?: (attempt: number) => Promise<void>) {
  const requests: string[] = [];
  const pushes: Uint8Array[] = [];
  const fetch: Fetch = async (input, init) => {
    const url = new URL(String(input));
    requests.push(`${init?.method ?? 'GET'} ${url.pathname.replace(/^\/[^/]+/, '')}${url.search}`);
    if (url.pathname.endsWith('/git-receive-pack')) {
      pushes.push(init?.body as Uint8Array);
      await beforePush?.(pushes.length);
    }
    return globalThis.fetch(input, init);
  };
  return { fetch, requests, pushes };
}

const provision = (tenant: string, eventId: string, files = tenantFiles(tenant)) => ({
  folder: `tenants/${tenant}`,
  files,
  message: `Provision ${tenant}\n\nEvent: ${eventId}`,
  author,
});

environmentRepositoryContract('isomorphic-git on a real git server', {
  async repository() {
    const { bare, url } = await newRepository();
    return {
      client: (options) => client(url, options ?? {}),
      folderAt: (sha, folder) => folderAt(bare, sha, folder),
      history: () => history(bare),
      commitByOther: (path, content) => commitByOther(url, path, content),
    };
  },
});

describe('isomorphic-git environment repository on a real git server', () => {
  it('pushes the commit the system git reads back: same sha, parent, author, message and blobs', async () => {
    const { bare, url } = await newRepository();
    const first = await client(url).commitTenantFolder(provision('t1', 'E1'));
    const result = await client(url).commitTenantFolder(provision('t2', 'E2'));
    expect((await git(['-C', bare, 'rev-parse', 'main'])).trim()).toBe(result.sha);
    const shown = await git(['-C', bare, 'show', '-s', '--format=%P%n%an <%ae>%n%B', result.sha]);
    expect(shown).toBe(`${first.sha}\n${author.name} <${author.email}>\nProvision t2\n\nEvent: E2\n\n`);
    const listing = await git(['-C', bare, 'ls-tree', '-r', result.sha, 'tenants/t2']);
    const expected = await Promise.all(
      Object.entries(tenantFiles('t2')).map(async ([file, content]) => {
        const oid = (await git(['hash-object', '--stdin'], { input: content })).trim();
        return `100644 blob ${oid}\ttenants/t2/${file}`;
      }),
    );
    expect(listing.trim().split('\n').sort()).toEqual(expected.sort());
    expect(await git(['-C', bare, 'ls-tree', '--name-only', result.sha, 'tenants/'])).toBe(
      'tenants/t1\ntenants/t2\n',
    );
    await git(['-C', bare, 'fsck', '--strict', '--no-dangling']);
  });

  it('sends a pack of only the changed blobs, the trees on their path and the commit', async () => {
    const { bare, url } = await newRepository();
    const seeding = client(url);
    for (const tenant of ['t1', 't2', 't3', 't4'])
      await seeding.commitTenantFolder(provision(tenant, tenant));
    const recorder = recordingFetch();
    const files = { ...tenantFiles('t3'), 'main.tf.json': '{"size":"t3.large"}' };
    const { sha } = await client(url, { fetch: recorder.fetch }).commitTenantFolder(
      provision('t3', 'E5', files),
    );

    const body = recorder.pushes[0] ?? new Uint8Array();
    const pack = body.subarray(body.indexOf(0x50 /* P of PACK after the flush-pkt */, splitPktLineEnd(body)));
    expect(new TextDecoder().decode(pack.subarray(0, 4))).toBe('PACK');
    expect(new DataView(pack.buffer, pack.byteOffset).getUint32(8)).toBe(5);
    const packFile = join(root, 'sent.pack');
    await writeFile(packFile, pack);
    await git(['index-pack', packFile]);
    const objects = (await git(['verify-pack', '-v', packFile.replace(/\.pack$/, '.idx')]))
      .split('\n')
      .filter((line) => /^[0-9a-f]{40} /.test(line))
      .map((line) => line.split(' ').slice(0, 2).join(' '));
    const oid = async (rev: string) => (await git(['-C', bare, 'rev-parse', rev])).trim();
    expect(objects.sort()).toEqual(
      [
        `${await oid(`${sha}:tenants/t3/main.tf.json`)} blob`,
        `${await oid(`${sha}:tenants/t3`)} tree`,
        `${await oid(`${sha}:tenants`)} tree`,
        `${await oid(`${sha}^{tree}`)} tree`,
        `${sha} commit`,
      ].sort(),
    );
  });

  it("rebuilds on someone else's push that landed between its read and its push", async () => {
    const { bare, url } = await newRepository();
    await client(url).commitTenantFolder(provision('t1', 'E1'));
    let theirs = '';
    const recorder = recordingFetch(async (attempt) => {
      if (attempt === 1) theirs = await commitByOther(url, 'README.md', 'someone else\n');
    });
    const ours = await client(url, { fetch: recorder.fetch }).commitTenantFolder(provision('t2', 'E2'));
    expect(recorder.pushes).toHaveLength(2);
    expect(ours).toMatchObject({ parent: theirs, changed: true });
    expect((await history(bare)).slice(0, 2)).toEqual([ours.sha, theirs]);
    expect(await folderAt(bare, ours.sha, 'tenants/t1')).toEqual(tenantFiles('t1'));
  });

  it('lands 20 concurrent provisionings by 20 clients (one per Lambda) with no commit lost', async () => {
    const { bare, url } = await newRepository();
    await client(url).commitTenantFolder(provision('t0', 'E0'));
    const tenants = Array.from({ length: 20 }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`);
    const results = await Promise.all(
      tenants.map((tenant) => client(url).commitTenantFolder(provision(tenant, `E-${tenant}`))),
    );
    const log = await git(['-C', bare, 'log', '--format=%H %s', 'main']);
    for (const [index, tenant] of tenants.entries()) {
      expect(log).toContain(`${results[index]?.sha} Provision ${tenant}`);
    }
    expect(await history(bare)).toHaveLength(21);
    const folders = await git(['-C', bare, 'ls-tree', '--name-only', 'main', 'tenants/']);
    expect(folders.split('\n').filter(Boolean)).toEqual([
      'tenants/t0',
      ...tenants.map((t) => `tenants/${t}`),
    ]);
    await git(['-C', bare, 'fsck', '--strict', '--no-dangling']);
  });

  it('finds its own commit by event id after a crash between push and recording', async () => {
    const { bare, url } = await newRepository();
    const crashed = await client(url).commitTenantFolder(provision('t1', 'EVT-01J8'));
    const others = client(url);
    for (const tenant of ['t2', 't3', 't4'])
      await others.commitTenantFolder(provision(tenant, `EVT-${tenant}`));
    const retried = client(url);
    const found = await retried.findCommit({ folder: 'tenants/t1', messageContains: 'Event: EVT-01J8' });
    expect(found).toBe(crashed.sha);
    expect((await git(['-C', bare, 'log', '--format=%H', '--grep=EVT-01J8', 'main'])).trim()).toBe(found);
    expect(await retried.commitTenantFolder(provision('t1', 'EVT-01J8'))).toMatchObject({ changed: false });
  });

  it('fetches nothing while the head is its own last push, and only the new commits after another push', async () => {
    const { url } = await newRepository();
    await client(url).commitTenantFolder(provision('t1', 'E1'));
    const recorder = recordingFetch();
    const warm = client(url, { fetch: recorder.fetch });
    await warm.commitTenantFolder(provision('t2', 'E2'));
    const fetchAndPush = [
      'GET /info/refs?service=git-upload-pack',
      'POST /git-upload-pack',
      'GET /info/refs?service=git-receive-pack',
      'POST /git-receive-pack',
    ];
    expect(recorder.requests.splice(0)).toEqual(fetchAndPush);
    await warm.commitTenantFolder(provision('t3', 'E3'));
    expect(recorder.requests.splice(0)).toEqual(fetchAndPush.slice(2));
    await commitByOther(url, 'README.md', 'someone else\n');
    await warm.commitTenantFolder(provision('t4', 'E4'));
    expect(recorder.requests.splice(0)).toEqual(['GET /info/refs?service=git-receive-pack', ...fetchAndPush]);
  });

  it('starts its cached clone afresh once it holds too many packs, and goes on working', async () => {
    const { bare, url } = await newRepository();
    const cacheRoot = join(root, `cache-${++caches}`);
    const warm = client(url, { cacheRoot, cacheLimits: { packs: 1, ownCommits: 100 } });
    const packs = () =>
      readdirSync(cacheRoot, { recursive: true }).filter((f) => String(f).endsWith('.pack'));
    await warm.commitTenantFolder(provision('t0', 'E0'));
    for (const n of [1, 2]) {
      await commitByOther(url, `other-${n}.txt`, `${n}\n`);
      await warm.commitTenantFolder(provision(`t${n}`, `E${n}`));
    }
    expect(packs()).toHaveLength(2);
    await commitByOther(url, 'other-3.txt', '3\n');
    const last = await warm.commitTenantFolder(provision('t3', 'E3'));
    expect(packs()).toHaveLength(1);
    const shas = await history(bare);
    expect(shas).toHaveLength(7);
    expect(await warm.findCommit({ messageContains: 'E0', folder: 'tenants/t0' })).toBe(shas[6]);
    expect(last.parent).toBe(shas[1]);
  });

  it('gives up with a clear error when someone else pushes first every time', async () => {
    const { bare, url } = await newRepository();
    await client(url).commitTenantFolder(provision('t1', 'E1'));
    const recorder = recordingFetch(async (attempt) => {
      await commitByOther(url, `other-${attempt}.txt`, `${attempt}\n`);
    });
    const loser = client(url, { fetch: recorder.fetch, maxPushAttempts: 3, sleep: async () => {} });
    const error = await loser.commitTenantFolder(provision('t2', 'E2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitPushRetriesExhaustedError);
    expect(error).toMatchObject({
      attempts: 3,
      folder: 'tenants/t2',
      cause: expect.any(GitPushRejectedError),
    });
    expect(recorder.pushes).toHaveLength(3);
    expect(await folderAt(bare, 'main', 'tenants/t2')).toBeUndefined();
  });

  it('fails at once, with the reason, on a rejection a rebuild cannot fix', async () => {
    const { bare, url } = await newRepository();
    await writeFile(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const recorder = recordingFetch();
    const error = await client(url, { fetch: recorder.fetch })
      .commitTenantFolder(provision('t1', 'E1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitPushRejectedError);
    expect((error as GitPushRejectedError).reason).toMatch(/pre-receive hook declined/);
    expect(recorder.pushes).toHaveLength(1);
  });

  it('sends the token as Basic x-access-token and never puts it in an error', async () => {
    const token = 'ghs_s3cretT0ken';
    const authorization = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    const guarded = await startLocalGitServer({ root: join(root, 'guarded'), authorization });
    try {
      await guarded.createRepository('env');
      const ok = client(guarded.url('env'), { token: async () => token });
      expect((await ok.commitTenantFolder(provision('t1', 'E1'))).changed).toBe(true);
      const wrong = client(guarded.url('env'), { token: async () => 'ghs_wrongT0ken' });
      const error = await wrong.commitTenantFolder(provision('t2', 'E2')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitRemoteError);
      expect(error).toMatchObject({ status: 401 });
      expect(inspect(error, { depth: 10 })).not.toMatch(/ghs_|x-access-token|eC1hY2Nlc3MtdG9rZW/);
    } finally {
      await guarded.stop();
    }
  });

  it('refuses a URL carrying credentials', () => {
    expect(() => client('http://x-access-token:ghs_abc@127.0.0.1:1/env.git')).toThrow(/token provider/);
  });
});

/** The offset just past the flush-pkt that ends the receive-pack commands. */
function splitPktLineEnd(body: Uint8Array): number {
  const text = new TextDecoder('latin1').decode(body);
  const flush = text.indexOf('0000', 4);
  splitPktLines(body.subarray(0, flush + 4));
  return flush + 4;
}
