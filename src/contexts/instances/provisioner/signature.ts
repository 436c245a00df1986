import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '#src/platform/http/problem.js';

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
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new HttpError(401, 'Unauthorized', `${name} is missing or does not sign this body`, name);
  return body;
}
