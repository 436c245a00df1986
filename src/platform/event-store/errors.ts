import type { ExpectedVersion } from './event-store.port.js';

/** The stream was not at the version the append was conditioned on. */
export class ConcurrencyError extends Error {
  override readonly name: string = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`, options);
  }
}

/**
 * An append was conditioned on another stream's head (the stream that authorised it, say) and that stream has
 * moved: nothing was written. `streamId` names the conditioned stream, so a caller can tell "my stream moved"
 * (a plain ConcurrencyError on the stream it appended to) from "what I decided on moved" (this one).
 */
export class StreamConditionError extends ConcurrencyError {
  override readonly name = 'StreamConditionError';
  constructor(
    streamId: string,
    override readonly expected: number,
    actual: number,
    /** The stream the refused append was for. */
    readonly appendTo: string,
    options?: ErrorOptions,
  ) {
    super(streamId, expected, actual, options);
    this.message = `append to ${appendTo} refused: stream ${streamId} is at version ${actual}, the append was conditioned on ${expected}`;
  }
}

/** A uniqueness reservation (organisation name, subdomain, ...) is held by another stream. */
export class UniquenessError extends Error {
  override readonly name = 'UniquenessError';
  constructor(
    readonly key: string,
    readonly heldBy: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`${key} is already taken`, options);
  }
}

/** The same idempotency key was used before with a different request. */
export class IdempotencyKeyReuseError extends Error {
  override readonly name = 'IdempotencyKeyReuseError';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`Idempotency-Key ${key} was already used with a different request`, options);
  }
}

/** An append that cannot fit in one DynamoDB item; rejected before anything is written. */
export class EventTooLargeError extends Error {
  override readonly name = 'EventTooLargeError';
  constructor(
    readonly streamId: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`append to ${streamId} needs ${bytes} bytes, over the ${limit}-byte item limit`);
  }
}

/** An event that its catalogue schema refuses, on write or on read. */
export class InvalidEventError extends Error {
  override readonly name: string = 'InvalidEventError';
  constructor(
    readonly type: string,
    readonly schemaVersion: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${type} v${schemaVersion}: ${message}`, options);
  }
}

/** Throttling or a transaction conflict: nothing was written and the same write may simply be retried. */
export class TransientStoreError extends Error {
  override readonly name = 'TransientStoreError';
}

/**
 * A personal field that does not decrypt with its subject's live key (it was copied from another event or
 * field, or changed), or an event handed to `decodeEvent` still sealed. Erased subjects are not an error: their
 * fields read as placeholders.
 */
export class PersonalDataError extends InvalidEventError {
  override readonly name = 'PersonalDataError';
}
