import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Principal, TokenVerifier } from '#src/platform/auth/principal.js';
import { redactText } from '#src/platform/privacy/redaction.js';
import { validCorrelationId } from './correlation.js';
import { newUlid } from './ids.js';
import { notModified } from './preconditions.js';
import { HttpError, type ProblemOptions, problemHeaders, problemResponse, toProblem } from './problem.js';
import { type Route, routeKey } from './route.js';

export const MAX_BODY_BYTES = 16 * 1024;

export interface HttpRequest {
  /** `GET`, `POST`, ...: the first word of the routeKey. */
  method: string;
  routeKey: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  correlationId: string;
  /** Undefined only on routes declared public. */
  principal: Principal;
  rawBody: string | undefined;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpHandlerDependencies<D> extends ProblemOptions {
  verifier: () => TokenVerifier;
  logger: Logger;
  /** Builds the routes' adapters on first use (not at import: a cold start that fails auth needs none). */
  routeDeps: () => D;
}

/**
 * The shared HTTP wrapper: correlation id, JWT verification (401 on any doubt), routing by API Gateway's
 * routeKey, 304 for a GET whose If-None-Match names the answer's ETag, and one mapping of every typed error to
 * application/problem+json (the context registers how its uniqueness keys read). Handlers never build errors.
 */
export function httpHandler<D>(
  routes: readonly Route<D>[],
  deps: HttpHandlerDependencies<D>,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2> {
  const byKey = new Map(routes.map((route) => [routeKey(route), route]));
  return async (event) => {
    const headers = lowerKeys(event.headers ?? {});
    const correlationId = validCorrelationId(headers['x-correlation-id']) ?? newUlid();
    const started = Date.now();
    try {
      const route = byKey.get(event.routeKey);
      if (!route) throw new HttpError(404, 'Not Found', `no route ${event.routeKey}`);
      const principal =
        route.auth === 'public' ? anonymous : await authenticate(deps.verifier(), headers.authorization);
      const request = toRequest(event, headers, correlationId, principal, route.maxBodyBytes);
      const answer = await route.handle(request, deps.routeDeps());
      const result = notModified(request, answer) ?? answer;
      deps.logger.info('request', {
        correlationId,
        routeKey: event.routeKey,
        status: result.status,
        ms: Date.now() - started,
        sub: principal.sub,
      });
      return toResponse(result, correlationId);
    } catch (error) {
      return failure(deps, event, correlationId, error);
    }
  };
}

function toRequest(
  event: APIGatewayProxyEventV2,
  headers: Record<string, string>,
  correlationId: string,
  principal: Principal,
  maxBodyBytes = MAX_BODY_BYTES,
): HttpRequest {
  return {
    method: event.routeKey.split(' ')[0] ?? '',
    routeKey: event.routeKey,
    path: event.rawPath,
    params: (event.pathParameters ?? {}) as Record<string, string>,
    query: (event.queryStringParameters ?? {}) as Record<string, string>,
    headers,
    correlationId,
    principal,
    rawBody: decodeBody(event, maxBodyBytes),
  };
}

function toResponse(result: HttpResult, correlationId: string): APIGatewayProxyResultV2 {
  const hasBody = result.body !== undefined;
  return {
    statusCode: result.status,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      'x-correlation-id': correlationId,
      ...result.headers,
    },
    ...(hasBody ? { body: JSON.stringify(result.body) } : {}),
  };
}

function failure(
  { logger, uniqueKeys }: Pick<HttpHandlerDependencies<unknown>, 'logger' | 'uniqueKeys'>,
  event: APIGatewayProxyEventV2,
  correlationId: string,
  error: unknown,
): APIGatewayProxyResultV2 {
  const mapped = toProblem(error, uniqueKeys ? { uniqueKeys } : {});
  // No detail echoes a person's address, whatever raised it (privacy/redaction.ts).
  const problem = { ...mapped, detail: redactText(mapped.detail), instance: event.rawPath, correlationId };
  const fields = {
    correlationId,
    routeKey: event.routeKey,
    status: problem.status,
    detail: problem.detail,
    error,
  };
  if (problem.status >= 500) logger.error('request failed', fields);
  else logger.info('request refused', fields);
  const challenge: Record<string, string> = problem.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return problemResponse(problem, {
    ...problemHeaders(error),
    'x-correlation-id': correlationId,
    ...challenge,
  });
}

const anonymous: Principal = { sub: 'anonymous', platformRoles: [] };

async function authenticate(verifier: TokenVerifier, authorization: string | undefined): Promise<Principal> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw new HttpError(401, 'Unauthorized', 'a Bearer token is required', 'Authorization');
  try {
    return await verifier.verify(token);
  } catch (error) {
    throw new HttpError(
      401,
      'Unauthorized',
      'the token is not valid (signature, issuer, audience or expiry)',
      'Authorization',
      {
        cause: error,
      },
    );
  }
}

function decodeBody(event: APIGatewayProxyEventV2, maxBytes: number): string | undefined {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > maxBytes) {
    throw new HttpError(413, 'Content Too Large', `the body is over ${maxBytes} bytes`, 'body');
  }
  return text;
}

/**
 * `application/json` or a structured `+json` type (`application/merge-patch+json`), parameters allowed: not
 * `application/json-seq` (a stream of JSON texts) nor any other type that merely starts with `json`.
 */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.!#$&^-]+\+)?json\s*(?:;|$)/i;

/** Parses the JSON body against a strict schema: 400 naming the field for anything it refuses. */
export function parseBody<S extends z.ZodType>(request: HttpRequest, schema: S): z.infer<S> {
  const type = request.headers['content-type'] ?? '';
  if (request.rawBody === undefined)
    throw new HttpError(400, 'Bad Request', 'a JSON body is required', 'body');
  if (!JSON_MEDIA_TYPE.test(type)) {
    throw new HttpError(415, 'Unsupported Media Type', 'send the body as application/json', 'content-type');
  }
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody);
  } catch (error) {
    throw new HttpError(400, 'Bad Request', 'the body is not valid JSON', 'body', { cause: error });
  }
  return parseWith(schema, json, 'body');
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue && 'keys' in issue ? (issue.keys as string[]) : [];
  const path = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join('.');
  const field = path || where;
  const message = keys.length > 0 ? `unknown field "${keys[0]}"` : (issue?.message ?? 'invalid');
  throw new HttpError(400, 'Bad Request', `${field}: ${message}`, field, { cause: parsed.error });
}

function lowerKeys(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v ?? '']));
}
