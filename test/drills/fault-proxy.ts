import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';

/** How an outage answers: DynamoDB's throttling (400) or an internal error (500). */
export interface Fault {
  status: 400 | 500;
  type: 'ThrottlingException' | 'ProvisionedThroughputExceededException' | 'InternalServerError';
}

export interface FaultProxy {
  endpoint: string;
  /** Decides per request, from the tables it names, whether it fails; undefined lets it through. */
  fault: (tables: readonly string[]) => Fault | undefined;
  /** Requests answered with a fault so far. */
  refused: number;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of DynamoDB Local that answers chosen requests with DynamoDB's own error bodies
 * (throttling, 500) instead of forwarding them: the fault is injected at the endpoint, so the SDK, its retries
 * and the handlers run exactly as they would against a throttled table.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const proxy: FaultProxy = {
    endpoint: '',
    fault: () => undefined,
    refused: 0,
    stop: async () => {},
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = proxy.fault(tablesNamed(body));
    if (fault) {
      proxy.refused++;
      res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
          message: 'injected by the drill proxy',
        }),
      );
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    forward.end(body);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  proxy.endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  proxy.stop = async () => {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

/** The tables a DynamoDB JSON request names: TableName, RequestItems' keys, each transaction item's table. */
export function tablesNamed(body: Buffer): string[] {
  let json: {
    TableName?: string;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: string }>[];
  };
  try {
    json = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return [];
  }
  return [
    ...(json.TableName ? [json.TableName] : []),
    ...Object.keys(json.RequestItems ?? {}),
    ...(json.TransactItems ?? []).flatMap((item) =>
      Object.values(item).flatMap((op) => (op?.TableName ? [op.TableName] : [])),
    ),
  ];
}
