import { z } from 'zod';
import type { Cursors } from './cursor.js';
import { type HttpRequest, type HttpResult, parseWith } from './http-handler.js';

/** The paging parameters every list route takes: `limit` (1-100, default 25) and an opaque signed `cursor`. */
export const Limit = z.coerce.number().int().min(1).max(100).default(25);
export const Cursor = z.string().max(2048).optional();
export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor });

/** One page of a read-model query: the items and DynamoDB's LastEvaluatedKey (the next page's position). */
export interface Page<T> {
  items: T[];
  next?: Record<string, unknown>;
}

export interface Paging {
  limit: number;
  /** Where the page starts: the position the cursor holds, undefined for the first page. */
  start: Record<string, unknown> | undefined;
}

/**
 * What a cursor is bound to: the route, the path (the tenant), the caller and every filter — all but the
 * cursor itself and the page size — and, when a route runs one of several queries for the same request (every
 * tenant for a platform role, a member's own otherwise: another index, another key), which one it ran. A cursor
 * from another query, another caller, or the same caller whose role changed meanwhile, is a 400.
 */
function queryOf(request: HttpRequest, variant: string | undefined): string {
  const filters = Object.entries(request.query)
    .filter(([name]) => name !== 'cursor' && name !== 'limit')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const bound = [request.routeKey, request.path, request.principal.sub, filters];
  return JSON.stringify(variant === undefined ? bound : [...bound, variant]);
}

/**
 * The page a list request asks for; 400 for a cursor this API did not issue for this very query. `variant` names
 * the query the route runs for this request when it has more than one (give the same to {@link listResult}).
 */
export function pagingOf(
  request: HttpRequest,
  cursors: Cursors,
  query: { limit: number; cursor?: string | undefined },
  variant?: string,
): Paging {
  return { limit: query.limit, start: cursors.decode(queryOf(request, variant), query.cursor) };
}

/** A list answer: `{items, nextCursor?, _links: {self, next?}}`, the next cursor bound to the same query. */
export function listResult(
  request: HttpRequest,
  cursors: Cursors,
  items: readonly unknown[],
  next: Record<string, unknown> | undefined,
  variant?: string,
): HttpResult {
  const nextCursor = next ? cursors.encode(queryOf(request, variant), next) : undefined;
  const query = new URLSearchParams(Object.entries(request.query).filter(([k]) => k !== 'cursor'));
  const links: Record<string, { href: string }> = {
    self: { href: `${request.path}${query.size ? `?${query}` : ''}` },
  };
  if (nextCursor) {
    query.set('cursor', nextCursor);
    links.next = { href: `${request.path}?${query}` };
  }
  return { status: 200, body: { items, ...(nextCursor ? { nextCursor } : {}), _links: links } };
}

/**
 * One page of a list route that takes only `limit` and `cursor`: fetch, view each item (undefined drops it,
 * and the page may come out short; `nextCursor` still continues), answer.
 */
export async function pagedList<T>(
  request: HttpRequest,
  cursors: Cursors,
  fetch: (paging: Paging) => Promise<Page<T>>,
  view: (item: T) => unknown,
): Promise<HttpResult> {
  const page = await fetch(pagingOf(request, cursors, parseWith(PageQuery, request.query, 'query')));
  const items = page.items.map(view).filter((item) => item !== undefined);
  return listResult(request, cursors, items, page.next);
}
