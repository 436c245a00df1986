import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './problem.js';

/**
 * Opaque, tamper-evident pagination cursors: the position (DynamoDB's LastEvaluatedKey) and the query it
 * belongs to, HMAC-signed. A modified cursor, or one from another query, is a 400.
 */
export class Cursors {
  constructor(private readonly secret: string) {}

  encode(query: string, position: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify({ q: query, p: position })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  decode(query: string, cursor: string | undefined): Record<string, unknown> | undefined {
    if (cursor === undefined) return undefined;
    const [body, mac] = cursor.split('.');
    const expected = body ? this.mac(body) : '';
    const valid =
      body &&
      mac &&
      mac.length === expected.length &&
      timingSafeEqual(Buffer.from(mac), Buffer.from(expected));
    if (!valid) throw new HttpError(400, 'Bad Request', 'the cursor is not one this API issued', 'cursor');
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      q: string;
      p: Record<string, unknown>;
    };
    if (parsed.q !== query)
      throw new HttpError(400, 'Bad Request', 'the cursor belongs to another query', 'cursor');
    return parsed.p;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
