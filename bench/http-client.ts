import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The benchmarks' HTTP client of the local API: keep-alive, a bearer token, JSON bodies. */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  /** One request; anything but `expect` fails the benchmark (it measures answers, not errors). */
  async call(
    method: string,
    path: string,
    expect: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const reply = await new Promise<Reply>((done, fail) => {
      const req = httpRequest(
        `${this.base}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...headers,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
    if (reply.status !== expect) {
      throw new Error(`${method} ${path}: ${reply.status} (expected ${expect}): ${reply.body.slice(0, 300)}`);
    }
    return reply;
  }

  /** Closes its kept-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }
}
