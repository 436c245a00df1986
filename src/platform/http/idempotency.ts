import { createHash } from 'node:crypto';
import type { HttpRequest } from './http-handler.js';
import { HttpError } from './problem.js';

const KEY = /^[A-Za-z0-9._:-]{1,255}$/;

export interface IdempotencyRequest {
  scope: string;
  key: string;
  requestHash: string;
}

/**
 * The Idempotency-Key of a POST, scoped to the caller (two callers' equal keys are two keys) and bound to the
 * request (route, path and body: the same key with another request is a 422). Other methods are idempotent
 * by themselves, or pinned with If-Match: the header is ignored there.
 */
export function idempotencyOf(request: HttpRequest): IdempotencyRequest | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined || request.method !== 'POST') return undefined;
  if (!KEY.test(key)) {
    throw new HttpError(
      400,
      'Bad Request',
      'Idempotency-Key must be 1-255 letters, digits or ._:-',
      'Idempotency-Key',
    );
  }
  const requestHash = createHash('sha256')
    .update(`${request.routeKey}\n${request.path}\n${request.rawBody ?? ''}`)
    .digest('hex');
  return { scope: request.principal.sub, key, requestHash };
}
