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

/** An error the HTTP layer itself raises: a status, a title, the field to blame and headers to send. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly field?: string,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(detail, options);
    this.headers = options?.headers ?? {};
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

/**
 * How a context's uniqueness keys read in a 409 (registered by the context with its HTTP handler, so this kit
 * knows none of them): the key prefix, the request field it comes from, and a detail that names nobody's data —
 * a taken name is someone else's, and the key would say whose.
 */
export interface UniqueKeyProblem {
  prefix: string;
  field: string;
  detail: string;
}

export interface ProblemOptions {
  uniqueKeys?: readonly UniqueKeyProblem[];
}

const DOMAIN_STATUS = {
  validation: 400,
  unprocessable: 422,
  not_found: 404,
  illegal_state: 409,
  forbidden: 403,
} as const;
const DOMAIN_TITLE = {
  validation: 'Bad Request',
  unprocessable: 'Unprocessable Content',
  not_found: 'Not Found',
  illegal_state: 'Conflict',
  forbidden: 'Forbidden',
} as const;

const problem = (status: number, title: string, detail: string, extra: Partial<Problem> = {}): Problem => ({
  type: `https://bbws.example/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
  title,
  status,
  detail,
  ...extra,
});

type Mapper<E> = [abstract new (...args: never[]) => E, (error: E, options: ProblemOptions) => Problem];
const mapper = <E>(
  type: abstract new (...args: never[]) => E,
  map: (error: E, options: ProblemOptions) => Problem,
): Mapper<unknown> => [type, map as (e: unknown, options: ProblemOptions) => Problem];

function domainProblem(e: DomainError): Problem {
  const extra: Partial<Problem> = {};
  if ('field' in e && typeof e.field === 'string') extra.field = e.field;
  if ('code' in e && typeof e.code === 'string') extra.code = e.code;
  return problem(DOMAIN_STATUS[e.kind], DOMAIN_TITLE[e.kind], e.message, extra);
}

function preconditionDetail({ expected, actual }: PreconditionFailedError): string {
  if (expected === 'exists') return 'the resource does not exist';
  if (typeof expected === 'object' && expected.length === 0) {
    return `If-Match is compared strongly and names no strong ETag; the resource is at version ${actual}`;
  }
  const versions = typeof expected === 'number' ? [expected] : expected;
  return `the resource is at version ${actual}, not ${versions.join(' or ')}`;
}

function uniquenessProblem(e: UniquenessError, { uniqueKeys = [] }: ProblemOptions): Problem {
  const known = uniqueKeys.find((k) => e.key.startsWith(k.prefix));
  return problem(409, 'Conflict', known?.detail ?? 'the value is already taken', {
    field: known?.field ?? 'key',
    code: 'already_taken',
  });
}

/** One row per typed error; unknown errors are 500. */
const MAPPERS: Mapper<unknown>[] = [
  mapper(HttpError, (e) => problem(e.status, e.title, e.message, e.field ? { field: e.field } : {})),
  mapper(DomainError, domainProblem),
  mapper(PreconditionFailedError, (e) =>
    problem(412, 'Precondition Failed', preconditionDetail(e), { field: 'If-Match' }),
  ),
  mapper(ConcurrencyError, () => problem(409, 'Conflict', 'the resource changed concurrently; retry')),
  mapper(UniquenessError, uniquenessProblem),
  mapper(IdempotencyKeyReuseError, (e) =>
    problem(422, 'Unprocessable Content', e.message, { field: 'Idempotency-Key' }),
  ),
  mapper(EventTooLargeError, (e) => problem(413, 'Content Too Large', e.message)),
  mapper(InvalidEventError, (e) => problem(422, 'Unprocessable Content', e.message)),
  mapper(TransientStoreError, () => problem(503, 'Service Unavailable', 'the store is busy; retry shortly')),
];

/**
 * DynamoDB refusing a Query's ExclusiveStartKey ("The provided starting key is invalid", "Exclusive Start Key must
 * have same size as table's key schema", "...does not match the range key predicate"). Only a cursor puts a start
 * key into a request from outside (every other page follows DynamoDB's own LastEvaluatedKey), so it is the
 * client's cursor that does not fit the query run now: one signed for this query before the list changed under
 * it (another projection version, say). A 400 naming the cursor, never a 500.
 */
function isInvalidStartKey(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'ValidationException' && /start(?:ing)? key/i.test(String(message));
}

/** The one mapping from typed errors to application/problem+json (RFC 9457). */
export function toProblem(error: unknown, options: ProblemOptions = {}): Problem {
  if (isInvalidStartKey(error)) {
    const detail = 'the cursor does not fit this list (any more): start again without it';
    return problem(400, 'Bad Request', detail, { field: 'cursor' });
  }
  const found = MAPPERS.find(([type]) => error instanceof type);
  return found
    ? found[1](error, options)
    : problem(500, 'Internal Server Error', 'an unexpected error occurred');
}

/** Headers a problem carries besides its body: Retry-After on a 503 the kit raised, say. */
export function problemHeaders(error: unknown): Record<string, string> {
  if (error instanceof HttpError) return { ...error.headers };
  if (error instanceof TransientStoreError) return { 'retry-after': '1' };
  return {};
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
