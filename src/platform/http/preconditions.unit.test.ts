import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResult } from './http-handler.js';
import { etag, ifMatch, notModified } from './preconditions.js';
import { HttpError } from './problem.js';

const request = (method: string, headers: Record<string, string>): HttpRequest => ({
  method,
  routeKey: `${method} /v1.0/things/{id}`,
  path: '/v1.0/things/1',
  params: {},
  query: {},
  headers,
  correlationId: 'c',
  principal: { sub: 'u', platformRoles: [] },
  rawBody: undefined,
});

describe('If-Match (strong comparison, RFC 9110 13.1.1)', () => {
  const parse = (value: string) => ifMatch(request('PATCH', { 'if-match': value }));

  it('pins the version a strong ETag names', () => expect(parse('"2"')).toBe(2));
  it('never matches a weak ETag: W/"2" alone accepts no version (412)', () => {
    expect(parse('W/"2"')).toEqual([]);
    expect(() => parse('w/"2"')).toThrow(HttpError); // the weak indicator is case-sensitive
  });
  it('accepts any strong ETag of a list, dropping the weak ones', () =>
    expect(parse('"1", W/"2" ,"3"')).toEqual([1, 3]));
  it('takes * as "the resource exists"', () => expect(parse(' * ')).toBe('exists'));
  it('takes a strong ETag this API never issues as matching nothing', () =>
    expect(parse('"abc"')).toEqual([]));
  it('compares octet by octet: only the canonical form of a version matches it ("01" is not "1": 412)', () => {
    for (const value of ['"01"', '"00"', '"+1"', '"1.0"', '"1e0"', '"0x1"', '"1000000000000000"']) {
      expect(parse(value), value).toEqual([]);
    }
    expect(parse('"0"')).toBe(0);
    expect(parse('"999999999999999"')).toBe(999_999_999_999_999);
  });
  it('is absent when the header is', () => expect(ifMatch(request('PATCH', {}))).toBeUndefined());
  it('refuses what is not an ETag list with a 400 naming the header', () => {
    for (const value of ['seven', '"2', '2', '"1" "2"', ',', '']) {
      const error = (() => {
        try {
          return parse(value);
        } catch (e) {
          return e;
        }
      })();
      expect(error, value).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 400, field: 'If-Match' });
    }
  });
});

describe('If-None-Match (weak comparison, RFC 9110 13.1.2)', () => {
  const ok: HttpResult = { status: 200, headers: { etag: etag(2) }, body: { a: 1 } };
  const check = (value: string, result = ok, method = 'GET') =>
    notModified(request(method, { 'if-none-match': value }), result);

  it('answers 304 with the ETag and no body when a tag names the current version, weak or strong', () => {
    expect(check('"2"')).toEqual({ status: 304, headers: { etag: '"2"' } });
    expect(check('W/"2"')).toEqual({ status: 304, headers: { etag: '"2"' } });
    expect(check('"1", W/"2"')?.status).toBe(304);
    expect(check('*')?.status).toBe(304);
  });
  it('lets the answer through when no tag matches, on other methods, and on non-200 answers', () => {
    expect(check('"1"')).toBeUndefined();
    expect(check('"2"', ok, 'POST')).toBeUndefined();
    expect(check('"2"', { ...ok, status: 201 })).toBeUndefined();
    expect(check('"2"', { status: 200, body: {} })).toBeUndefined();
  });
});
