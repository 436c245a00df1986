import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authenticate, CredentialsRefused } from '#src/platform/local/iam/sessions.js';
import { closeServer, listenLocal } from '#src/platform/local/ports.js';

/** An AWS API error as the JSON protocol sends it: the SDK throws an exception named by `__type`. */
export class AwsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Who signed the request: the account its access key is in (a role session's account, iam/sessions.ts). */
export interface CallerAccount {
  account: string;
}

export type Operation = (input: Record<string, unknown>, caller: CallerAccount) => unknown;

/** Per service, its X-Amz-Target prefix (`AmazonEC2ContainerServiceV20141113`) and its operations by name. */
export type Services = Readonly<Record<string, Readonly<Record<string, Operation>>>>;

export interface AwsJsonServer {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * One HTTP server on 127.0.0.1 speaking the AWS JSON 1.1 protocol (`X-Amz-Target: <prefix>.<Operation>`) for the
 * services given, so the real SDK clients reach them by endpoint override. Like AWS it refuses an unsigned request
 * and an operation it does not know (UnknownOperationException, never a silent success). The caller's account is
 * the one its SigV4 access key is in (temporary credentials of the local STS: the assumed role's account, expired
 * ones refused as AWS does; any other key: the control plane's), so a call into another account's cluster without
 * assuming its role fails here as in AWS.
 */
export async function startAwsJsonServer(services: Services, port = 0): Promise<AwsJsonServer> {
  const server: Server = createServer((req, res) => void handle(services, req, res));
  const endpoint = await listenLocal(server, port);
  return {
    endpoint,
    close: () => closeServer(server),
  };
}

async function handle(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
      throw new AwsApiError(
        'MissingAuthenticationTokenException',
        'Request is missing Authentication Token',
        403,
      );
    const caller = authenticated(req, Buffer.concat(chunks));
    const target = String(req.headers['x-amz-target'] ?? '');
    const dot = target.lastIndexOf('.');
    const operation = services[target.slice(0, dot)]?.[target.slice(dot + 1)];
    if (!operation) throw new AwsApiError('UnknownOperationException', `${target} is not supported locally`);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new AwsApiError('SerializationException', 'the request body is not JSON');
    }
    send(res, 200, (await operation(input, caller)) ?? {});
  } catch (error) {
    const e = error instanceof AwsApiError ? error : new AwsApiError('InternalFailure', String(error), 500);
    res.setHeader('x-amzn-errortype', e.type);
    send(res, e.status, { __type: e.type, message: e.message });
  }
}

/**
 * The caller's account, as AWS authenticates the request (sessions.ts): STS's credentials checked against their
 * secret and token; unknown temporary keys UnrecognizedClientException, a wrong signature SignatureDoesNotMatch.
 */
function authenticated(req: IncomingMessage, body: Buffer): { account: string } {
  try {
    const caller = authenticate({
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body,
    });
    if (caller.kind === 'unknown') throw new Error('unreachable: authenticate refuses unknown keys');
    return { account: caller.account };
  } catch (error) {
    if (!(error instanceof CredentialsRefused)) throw error;
    const code = {
      unrecognized: 'UnrecognizedClientException',
      signature: 'SignatureDoesNotMatch',
      expired: 'ExpiredTokenException',
    }[error.reason];
    throw new AwsApiError(code, error.message, error.reason === 'expired' ? 400 : 403);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

/** The input field as a string, or a ValidationException naming it (or undefined when optional and absent). */
export function str(input: Record<string, unknown>, key: string): string;
export function str(input: Record<string, unknown>, key: string, optional: true): string | undefined;
export function str(input: Record<string, unknown>, key: string, optional = false): string | undefined {
  const value = input[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new AwsApiError('InvalidParameterException', `${key} must be a non-empty string`);
  return value;
}

/** An optional integer field, or a ValidationException. */
export function int(
  input: Record<string, unknown>,
  key: string,
  type = 'InvalidParameterException',
): number | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new AwsApiError(type, `${key} must be a non-negative integer`);
  return value;
}

/** Seconds since the epoch, as the JSON protocol sends timestamps. */
export const epochSeconds = (ms: number): number => ms / 1000;
