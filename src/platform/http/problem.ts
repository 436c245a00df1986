import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { PreconditionFailedError } from '#src/platform/command/command-runner.js';
import { DomainError } from '#src/platform/domain/errors.js';
import {
  ConcurrencyError,
  EventTooLargeError,
  IdempotencyKeyReuseError,
  InvalidEventError,
  TransientStoreError,
  UniquenessError,
} from '#src/platform/event-store/errors.js';

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

const problem = (status: number, title: string, detail: string, extra: Partial<Problem> = {}): Problem => ({
  type: `https://bbws.example/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
  title,
  status,
  detail,
  ...extra,
});

type Mapper<E> = [abstract new (...args: never[]) => E, (error: E) => Problem];
const mapper = <E>(
  type: abstract new (...args: never[]) => E,
  map: (error: E) => Problem,
): Mapper<unknown> => [type, map as (e: unknown) => Problem];

/** Most specific first: PreconditionFailedError is a ConcurrencyError. */
const MAPPERS: Mapper<unknown>[] = [
  mapper(HttpError, (e) => problem(e.status, e.title, e.message, e.field ? { field: e.field } : {})),
  mapper(DomainError, (e) => {
    const extra: Partial<Problem> = {};
    if ('field' in e && typeof e.field === 'string') extra.field = e.field;
    if ('code' in e && typeof e.code === 'string') extra.code = e.code;
    return problem(DOMAIN_STATUS[e.kind], titleOf(e.kind), e.message, extra);
  }),
  mapper(PreconditionFailedError, (e) =>
    problem(412, 'Precondition Failed', `the resource is at version ${e.actual}, not ${String(e.expected)}`, {
      field: 'If-Match',
    }),
  ),
  mapper(ConcurrencyError, () => problem(409, 'Conflict', 'the resource changed concurrently; retry')),
  mapper(UniquenessError, (e) =>
    problem(409, 'Conflict', `${e.key.replace(/^org:/, 'organisation name ')} is already taken`, {
      field: e.key.startsWith('org:') ? 'organizationName' : 'key',
      code: 'already_taken',
    }),
  ),
  mapper(IdempotencyKeyReuseError, (e) =>
    problem(422, 'Unprocessable Content', e.message, { field: 'Idempotency-Key' }),
  ),
  mapper(EventTooLargeError, (e) => problem(413, 'Content Too Large', e.message)),
  mapper(InvalidEventError, (e) => problem(422, 'Unprocessable Content', e.message)),
  mapper(TransientStoreError, () => problem(503, 'Service Unavailable', 'the store is busy; retry shortly')),
];

/** The one mapping from typed errors to application/problem+json (RFC 9457). Unknown errors are 500. */
export function toProblem(error: unknown): Problem {
  const found = MAPPERS.find(([type]) => error instanceof type);
  return found ? found[1](error) : problem(500, 'Internal Server Error', 'an unexpected error occurred');
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
