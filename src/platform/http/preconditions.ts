import type { VersionPrecondition } from '#src/platform/command/command-runner.js';
import type { HttpRequest, HttpResult } from './http-handler.js';
import { HttpError } from './problem.js';

/** `"7"`: the ETag of version 7 of a stream. Strong: the representation is exactly that version's. */
export const etag = (version: number): string => `"${version}"`;

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list (RFC 9110 8.8.3). */
const TAG = /^\s*(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"\s*(?:,|$)/;

/** `*`, or the list of entity-tags of an If-Match / If-None-Match field; 400 naming the header otherwise. */
function parseTags(value: string, header: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  let rest = value;
  while (rest.trim() !== '') {
    const match = TAG.exec(rest);
    if (!match) {
      throw new HttpError(400, 'Bad Request', `${header} must be * or a list of ETags such as "7"`, header);
    }
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
    rest = rest.slice(match[0].length);
  }
  if (tags.length === 0) throw new HttpError(400, 'Bad Request', `${header} is empty`, header);
  return tags;
}

/**
 * The opaque part of an ETag this API issues: a version in canonical decimal, exactly as {@link etag} writes it.
 * Strong comparison is octet equality (RFC 9110 8.8.3.2), so `"01"` or `"1.0"` is another entity-tag, never
 * version 1's.
 */
const CANONICAL_VERSION = /^(0|[1-9]\d{0,14})$/;

/**
 * If-Match as the versions a write may apply to, compared STRONGLY (RFC 9110 13.1.1): a weak tag never
 * matches, so `W/"2"` alone is a 412 whatever the version, and neither does a tag that is not exactly one this
 * API issues (`"01"`: 412); `*` asks only that the resource exists.
 */
export function ifMatch(request: HttpRequest): VersionPrecondition | undefined {
  const value = request.headers['if-match'];
  if (value === undefined) return undefined;
  const tags = parseTags(value, 'If-Match');
  if (tags === '*') return 'exists';
  const versions = tags
    .filter((tag) => !tag.weak && CANONICAL_VERSION.test(tag.opaque))
    .map((tag) => Number(tag.opaque));
  return versions.length === 1 && versions[0] !== undefined ? versions[0] : versions;
}

/**
 * 304 for a GET whose If-None-Match names the answer's ETag, compared WEAKLY (RFC 9110 13.1.2): a polling
 * client pays for no body. Undefined when the answer goes out as it is.
 */
export function notModified(request: HttpRequest, result: HttpResult): HttpResult | undefined {
  const value = request.headers['if-none-match'];
  const current = result.headers?.etag;
  if (value === undefined || current === undefined || request.method !== 'GET' || result.status !== 200) {
    return undefined;
  }
  const tags = parseTags(value, 'If-None-Match');
  const opaque = current.replace(/^W\//, '');
  const matches = tags === '*' || tags.some((tag) => `"${tag.opaque}"` === opaque);
  return matches ? { status: 304, headers: { ...result.headers, etag: current } } : undefined;
}
