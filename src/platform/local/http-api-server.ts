import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Invoke } from './lambda-host.js';

export interface LocalRoute {
  method: string;
  path: string;
  invoke: Invoke;
}

interface CompiledRoute extends LocalRoute {
  regex: RegExp;
  params: string[];
  routeKey: string;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

/**
 * The HTTP API on 127.0.0.1: each request becomes an API Gateway v2 (payload 2.0) event for the same handler
 * serverless.yml routes it to. Unmatched routes answer 404 as API Gateway does.
 */
export class LocalHttpApi {
  private server: Server | undefined;
  private readonly routes: CompiledRoute[];

  private readonly fallback: CompiledRoute | undefined;

  constructor(routes: LocalRoute[]) {
    const fallback = routes.find((route) => route.path === '$default');
    this.fallback = fallback && { ...fallback, regex: /^/, params: [], routeKey: '$default' };
    this.routes = routes
      .filter((route) => route !== fallback)
      .map((route) => {
        const params: string[] = [];
        const pattern = route.path
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
            const greedy = name.endsWith('+');
            params.push(greedy ? name.slice(0, -1) : name);
            return greedy ? '(.+)' : '([^/]+)';
          });
        return {
          ...route,
          regex: new RegExp(`^${pattern}$`),
          params,
          routeKey: `${route.method} ${route.path}`,
        };
      });
  }

  async listen(port: number): Promise<string> {
    // No request, however malformed, may end the process: a failure becomes API Gateway's 500.
    this.server = createServer((req, res) =>
      this.handle(req, res).catch((error: unknown) => {
        console.error('local HTTP API failed:', error);
        if (!res.headersSent) send(res, 500, JSON_TYPE, '{"message":"Internal Server Error"}');
        else res.destroy();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', resolve);
    });
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const match = this.match(method, url.pathname) ?? this.defaultRoute();
    const body = await readBody(req);
    if (body === undefined) return send(res, 413, JSON_TYPE, '{"message":"Request Entity Too Large"}');
    if (!match) return send(res, 404, JSON_TYPE, '{"message":"Not Found"}');
    try {
      const result = (await match.route.invoke(toEvent(req, url, match, body))) as
        | { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }
        | undefined;
      const payload = result?.isBase64Encoded
        ? Buffer.from(result.body ?? '', 'base64')
        : (result?.body ?? '');
      send(res, result?.statusCode ?? 200, result?.headers ?? {}, payload);
    } catch (error) {
      // What API Gateway answers when the function itself fails.
      console.error(`${match.route.routeKey} failed:`, error);
      send(res, 500, JSON_TYPE, '{"message":"Internal Server Error"}');
    }
  }

  private match(method: string, path: string) {
    for (const route of this.routes) {
      if (route.method !== method && route.method !== 'ANY' && route.method !== '*') continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const pathParameters = Object.fromEntries(
        route.params.map((name, i) => [name, decode(m[i + 1] ?? '')]),
      );
      return { route, pathParameters };
    }
    return undefined;
  }

  private defaultRoute() {
    return this.fallback && { route: this.fallback, pathParameters: {} };
  }
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** API Gateway hands a path parameter it cannot percent-decode (`%FF%FE`) to the function as it came. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The body as text, or undefined when it is over API Gateway's limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

/**
 * `queryStringParameters` as API Gateway's HTTP API builds it (payload format 2.0): each value decoded, and a
 * parameter given more than once joined with commas in the order sent (`?limit=500&limit=1` is `"500,1"`),
 * never the last one alone. Own properties only, whatever the name (`__proto__`).
 */
export function queryParameters(params: URLSearchParams): Record<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of params) {
    const before = joined.get(name);
    joined.set(name, before === undefined ? value : `${before},${value}`);
  }
  return Object.fromEntries(joined);
}

/** An API Gateway HTTP API (payload format 2.0) event. */
function toEvent(
  req: IncomingMessage,
  url: URL,
  match: { route: CompiledRoute; pathParameters: Record<string, string> },
  body: string,
) {
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [
      k.toLowerCase(),
      Array.isArray(v) ? v.join(',') : String(v ?? ''),
    ]),
  );
  const query = queryParameters(url.searchParams);
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(match.route.params.length > 0 ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.route.routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): void {
  res.writeHead(status, headers);
  res.end(body);
}
