import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { PreconditionFailedError } from '../application/command-runner.js';
import { DomainError } from '../domain/shared/errors.js';
import {
  ConcurrencyError,
  EventTooLargeError,
  IdempotencyKeyReuseError,
  InvalidEventError,
  TransientStoreError,
  UniquenessError,
} from '../event-store/errors.js';

/** An error the HTTP layer itself raises: a status, a title and (where one is to blame) the field. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  code?: string;
  instance?: string;
  correlationId?: string;
}

const DOMAIN_STATUS = { validation: 400, not_found: 404, illegal_state: 409, forbidden: 403 } as const;

/** The one mapping from typed errors to application/problem+json (RFC 9457). Unknown errors are 500. */
export function toProblem(error: unknown): Problem {
  const problem = (status: number, title: string, detail: string, extra: Partial<Problem> = {}): Problem => ({
    type: `https://bbws.example/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail,
    ...extra,
  });
  if (error instanceof HttpError)
    return problem(error.status, error.title, error.message, error.field ? { field: error.field } : {});
  if (error instanceof DomainError) {
    const extra: Partial<Problem> = {};
    if ('field' in error && typeof error.field === 'string') extra.field = error.field;
    if ('code' in error && typeof error.code === 'string') extra.code = error.code;
    return problem(DOMAIN_STATUS[error.kind], titleOf(error.kind), error.message, extra);
  }
  if (error instanceof PreconditionFailedError) {
    return problem(
      412,
      'Precondition Failed',
      `the resource is at version ${error.actual}, not ${String(error.expected)}`,
      { field: 'If-Match' },
    );
  }
  if (error instanceof ConcurrencyError)
    return problem(409, 'Conflict', 'the resource changed concurrently; retry');
  if (error instanceof UniquenessError) {
    return problem(409, 'Conflict', `${error.key.replace(/^org:/, 'organisation name ')} is already taken`, {
      field: error.key.startsWith('org:') ? 'organizationName' : 'key',
      code: 'already_taken',
    });
  }
  if (error instanceof IdempotencyKeyReuseError) {
    return problem(422, 'Unprocessable Content', error.message, { field: 'Idempotency-Key' });
  }
  if (error instanceof EventTooLargeError) return problem(413, 'Content Too Large', error.message);
  if (error instanceof InvalidEventError) return problem(422, 'Unprocessable Content', error.message);
  if (error instanceof TransientStoreError)
    return problem(503, 'Service Unavailable', 'the store is busy; retry shortly');
  return problem(500, 'Internal Server Error', 'an unexpected error occurred');
}

function titleOf(kind: keyof typeof DOMAIN_STATUS): string {
  return {
    validation: 'Bad Request',
    not_found: 'Not Found',
    illegal_state: 'Conflict',
    forbidden: 'Forbidden',
  }[kind];
}

export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problem),
  };
}
