import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '#src/platform/http/problem.js';

const unauthorized = (name: string) =>
  new HttpError(401, 'Unauthorized', `${name} is missing or does not sign this body`, name);

const signs = (body: string, given: Buffer, secret: string): boolean => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

/**
 * Checks `sha256=<hex>` against the HMAC-SHA256 of the exact raw body (GitHub's X-Hub-Signature-256, and the
 * deploy workflow's X-BBWS-Signature-256), in constant time. Missing or wrong: 401, before anything is parsed.
 */
export function verifySignature(
  rawBody: string | undefined,
  header: string | undefined,
  secret: string,
  name: string,
): string {
  const body = rawBody ?? '';
  if (!signs(body, Buffer.from(header ?? ''), secret)) throw unauthorized(name);
  return body;
}

/**
 * Which of `secrets` (one per environment) sign the body: every one is tried, each in constant time, so the time
 * taken says nothing about which matched. None: 401, before anything is parsed.
 */
export function signingKeys<K extends string>(
  rawBody: string | undefined,
  header: string | undefined,
  secrets: Partial<Record<K, string>>,
  name: string,
): K[] {
  const given = Buffer.from(header ?? '');
  const body = rawBody ?? '';
  const matched = (Object.entries(secrets) as [K, string | undefined][]).filter(
    ([, secret]) => secret !== undefined && signs(body, given, secret),
  );
  if (matched.length === 0) throw unauthorized(name);
  return matched.map(([key]) => key);
}

/** The same 401 as a bad signature: a report for an environment its signature does not speak for. */
export const notSignedFor = (name: string): HttpError => unauthorized(name);
