import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Principal } from '#src/platform/auth/principal.js';
import { UniquenessError } from '#src/platform/event-store/errors.js';
import { Cursors } from './cursor.js';
import { type HttpRequest, httpHandler, parseBody } from './http-handler.js';
import { idempotencyOf } from './idempotency.js';
import { listResult, pagingOf } from './paging.js';
import { etag } from './preconditions.js';
import { readYourWrites } from './read-your-writes.js';
import type { Route } from './route.js';

const principals: Record<string, Principal> = {
  alice: { sub: 'alice', platformRoles: [] },
  bob: { sub: 'bob', platformRoles: [] },
};
const cursors = new Cursors('test-secret');

const routes: Route<{ version: number }>[] = [
  {
    method: 'GET',
    path: '/v1.0/things/{id}',
    summary: 'a thing',
    handle: async (_request, deps) => ({
      status: 200,
      headers: { etag: etag(deps.version) },
      body: { version: deps.version },
    }),
  },
  {
    method: 'POST',
    path: '/v1.0/things',
    summary: 'takes a name',
    handle: async (request) => {
      throw new UniquenessError(`${request.query.kind ?? 'org'}:acme corp`, 'thing-someone-else');
    },
  },
  {
    method: 'GET',
    path: '/v1.0/things',
    summary: 'a list behind its read model',
    handle: async () => {
      await readYourWrites(5, async () => 3, { timeoutMs: 30, stepMs: 5 });
      return { status: 200 };
    },
  },
];

let version = 2;
const handler = httpHandler(routes, {
  verifier: () => ({
    verify: async (token) => {
      const principal = principals[token];
      if (!principal) throw new Error('bad token');
      return principal;
    },
  }),
  logger: new Logger({ logLevel: 'SILENT' }),
  routeDeps: () => ({ version }),
  uniqueKeys: [
    { prefix: 'org:', field: 'organizationName', detail: 'the organisation name is already taken' },
  ],
});

async function call(
  routeKey: string,
  headers: Record<string, string> = {},
  query?: Record<string, string>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const event = {
    routeKey,
    rawPath: routeKey.split(' ')[1]?.replace('{id}', '1') ?? '/',
    headers: { authorization: 'Bearer alice', ...headers },
    ...(query ? { queryStringParameters: query } : {}),
  } as unknown as APIGatewayProxyEventV2;
  return (await handler(event)) as APIGatewayProxyStructuredResultV2;
}

describe('HTTP kit: conditional GET', () => {
  it('answers 304 without a body when If-None-Match names the current ETag, 200 once it moved', async () => {
    version = 2;
    const same = await call('GET /v1.0/things/{id}', { 'if-none-match': 'W/"2"' });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBeUndefined();
    expect(same.headers).toMatchObject({ etag: '"2"' });
    expect(same.headers?.['x-correlation-id']).toBeTruthy();
    version = 3;
    const moved = await call('GET /v1.0/things/{id}', { 'if-none-match': '"2"' });
    expect(moved.statusCode).toBe(200);
    expect(JSON.parse(String(moved.body))).toEqual({ version: 3 });
  });
});

describe('HTTP kit: problems', () => {
  it("maps a uniqueness key through the context's registration, naming neither the value nor its holder", async () => {
    const taken = await call('POST /v1.0/things');
    expect(taken.statusCode).toBe(409);
    const body = JSON.parse(String(taken.body));
    expect(body).toMatchObject({
      field: 'organizationName',
      code: 'already_taken',
      detail: 'the organisation name is already taken',
    });
    expect(taken.body).not.toMatch(/acme|someone/i);
  });

  it('keeps an unregistered key to itself too', async () => {
    const taken = await call('POST /v1.0/things', {}, { kind: 'sub' });
    expect(JSON.parse(String(taken.body))).toMatchObject({ status: 409, field: 'key' });
    expect(taken.body).not.toMatch(/acme|sub:/i);
  });

  it('answers a read model that does not catch up in time with 503 and Retry-After, never a stale list', async () => {
    const late = await call('GET /v1.0/things');
    expect(late.statusCode).toBe(503);
    expect(late.headers).toMatchObject({ 'retry-after': '1', 'content-type': 'application/problem+json' });
    expect(JSON.parse(String(late.body)).detail).toMatch(/version 3 of 5/);
  });
});

const listRequest = (sub: string, query: Record<string, string>): HttpRequest => ({
  method: 'GET',
  routeKey: 'GET /v1.0/things',
  path: '/v1.0/things',
  params: {},
  query,
  headers: {},
  correlationId: 'c',
  principal: { sub, platformRoles: [] },
  rawBody: undefined,
});

describe('HTTP kit: paging', () => {
  const first = listRequest('alice', { status: 'ACTIVE', limit: '1' });
  const page = listResult(first, cursors, [{ id: 1 }], { PK: 'x' });
  const { nextCursor, _links } = page.body as { nextCursor: string; _links: { next: { href: string } } };

  it('issues a next cursor and link that continue the same query', () => {
    expect(_links.next.href).toBe(`/v1.0/things?status=ACTIVE&limit=1&cursor=${nextCursor}`);
    const again = listRequest('alice', { status: 'ACTIVE', limit: '5', cursor: nextCursor });
    expect(pagingOf(again, cursors, { limit: 5, cursor: nextCursor })).toEqual({
      limit: 5,
      start: { PK: 'x' },
    });
  });

  it('refuses the cursor for another filter or another caller (400 naming cursor)', () => {
    const otherFilter = listRequest('alice', { status: 'PARKED', cursor: nextCursor });
    const otherCaller = listRequest('bob', { status: 'ACTIVE', cursor: nextCursor });
    for (const request of [otherFilter, otherCaller]) {
      expect(() => pagingOf(request, cursors, { limit: 1, cursor: nextCursor })).toThrow(
        expect.objectContaining({ status: 400, field: 'cursor' }),
      );
    }
  });
});

describe('HTTP kit: Idempotency-Key', () => {
  const post = (sub: string, key: string, body = '{}'): HttpRequest => ({
    ...listRequest(sub, {}),
    method: 'POST',
    routeKey: 'POST /v1.0/things',
    headers: { 'idempotency-key': key },
    rawBody: body,
  });

  it("is scoped to the caller and bound to the request's route, path and body", () => {
    const a = idempotencyOf(post('alice', 'k-1'));
    expect(a).toMatchObject({ scope: 'alice', key: 'k-1' });
    expect(idempotencyOf(post('bob', 'k-1'))?.scope).toBe('bob');
    expect(idempotencyOf(post('alice', 'k-1', '{"x":1}'))?.requestHash).not.toBe(a?.requestHash);
  });

  it('is honoured on POST only, and validated there', () => {
    expect(idempotencyOf({ ...post('alice', 'k-1'), method: 'PATCH' })).toBeUndefined();
    expect(() => idempotencyOf(post('alice', 'bad key!'))).toThrow(
      expect.objectContaining({ status: 400, field: 'Idempotency-Key' }),
    );
  });
});

describe('HTTP kit: JSON bodies', () => {
  const withType = (type: string): HttpRequest => ({
    ...listRequest('alice', {}),
    method: 'POST',
    headers: { 'content-type': type },
    rawBody: '{"a":1}',
  });
  const Body = z.strictObject({ a: z.number() });

  it('parses application/json and +json types, with parameters', () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/merge-patch+json',
    ]) {
      expect(parseBody(withType(type), Body), type).toEqual({ a: 1 });
    }
  });

  it('refuses with 415 a type that only starts like JSON (application/json-seq is a stream of texts)', () => {
    for (const type of ['application/json-seq', 'application/json-x', 'application/jsonx', 'text/json', '']) {
      expect(() => parseBody(withType(type), Body), type).toThrow(
        expect.objectContaining({ status: 415, field: 'content-type' }),
      );
    }
  });
});
