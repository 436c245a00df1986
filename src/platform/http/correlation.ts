/**
 * A client's `X-Correlation-Id`, if it is one we may echo and log: 1-128 letters, digits or `._:-`. Anything else
 * is ignored (a new id is made). Kept free of dependencies: the health function's `$default` answer uses it too.
 */
export function validCorrelationId(value: string | undefined): string | undefined {
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}
