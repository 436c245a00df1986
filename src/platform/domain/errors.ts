/** The few typed errors the domain raises; the HTTP kit maps each to one problem+json status. */
export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'unprocessable' | 'not_found' | 'illegal_state' | 'forbidden';
}

/** Input that breaks a rule: names the field. */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly kind = 'validation';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

/**
 * Well-formed input that a business rule refuses (a desired count outside the plan's bounds, an environment the
 * plan does not include): 422, naming the field, with a code for clients to branch on.
 */
export class UnprocessableError extends DomainError {
  override readonly name = 'UnprocessableError';
  readonly kind = 'unprocessable';
  constructor(
    readonly field: string,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found';
}

/** A command the aggregate's current state does not allow (park a parked tenant, ...). */
export class IllegalStateError extends DomainError {
  override readonly name = 'IllegalStateError';
  readonly kind = 'illegal_state';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  readonly kind = 'forbidden';
}
