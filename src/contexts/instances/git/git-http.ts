import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { GitRemoteError } from './errors.js';
import {
  parseAdvertisement,
  parseReportStatus,
  type RefAdvertisement,
  type RefUpdateStatus,
} from './pkt-line.js';

export type Fetch = typeof globalThis.fetch;

/** Where a repository is and how to reach it; `headers` gives the authorization of the moment. */
export interface Remote {
  url: string;
  headers: () => Promise<Record<string, string>>;
  fetch: Fetch;
}

const USER_AGENT = 'git/bbws-control-plane';

/** Basic `x-access-token:<token>`, as GitHub takes an installation or personal token. */
export function tokenAuthorization(token: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` };
}

async function send(
  remote: Remote,
  path: string,
  init: RequestInit,
  expectedType: string,
): Promise<Uint8Array> {
  const url = `${remote.url.replace(/\/$/, '')}/${path}`;
  let response: Response;
  try {
    response = await remote.fetch(url, {
      ...init,
      headers: { 'user-agent': USER_AGENT, ...(await remote.headers()), ...init.headers },
    });
  } catch (error) {
    throw new GitRemoteError(
      `${remote.url}: ${error instanceof Error ? error.message : 'request failed'}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const body = new Uint8Array(await response.arrayBuffer());
  if (!response.ok) {
    const what = response.status === 401 || response.status === 403 ? 'not authorised' : response.statusText;
    throw new GitRemoteError(`${remote.url}: HTTP ${response.status} ${what}`, response.status);
  }
  if (response.headers.get('content-type') !== expectedType) {
    throw new GitRemoteError(
      `${remote.url}: not a smart-HTTP git server (content-type ${response.headers.get('content-type')})`,
    );
  }
  return body;
}

/** `GET /info/refs?service=git-receive-pack`: the refs as the next push will see them. */
export async function receivePackRefs(remote: Remote): Promise<RefAdvertisement> {
  const body = await send(
    remote,
    'info/refs?service=git-receive-pack',
    { method: 'GET' },
    'application/x-git-receive-pack-advertisement',
  );
  return parseAdvertisement(body);
}

/** `POST /git-receive-pack` of one ref update and its pack; the remote's verdict on that ref. */
export async function postReceivePack(
  remote: Remote,
  request: Uint8Array,
  ref: string,
): Promise<RefUpdateStatus> {
  const body = await send(
    remote,
    'git-receive-pack',
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-git-receive-pack-request',
        accept: 'application/x-git-receive-pack-result',
      },
      body: request,
    },
    'application/x-git-receive-pack-result',
  );
  return parseReportStatus(body, ref);
}

/** isomorphic-git's HTTP plugin on `fetch` (so fetches and pushes share one transport and its tests). */
export function fetchHttpClient(fetch: Fetch): HttpClient {
  return {
    async request({ url, method = 'GET', headers = {}, body }: GitHttpRequest): Promise<GitHttpResponse> {
      const chunks: Uint8Array[] = [];
      if (body) for await (const chunk of body) chunks.push(chunk);
      const response = await fetch(url, {
        method,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        url: response.url,
        method,
        statusCode: response.status,
        statusMessage: response.statusText,
        headers: Object.fromEntries(response.headers),
        body: (async function* () {
          yield bytes;
        })(),
      };
    },
  };
}
