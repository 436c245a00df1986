import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TransientStoreError } from '#src/platform/event-store/errors.js';

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
]);

export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * The item as it was when a PutItem/UpdateItem/DeleteItem condition failed, if the request asked for it
 * (ReturnValuesOnConditionCheckFailure: ALL_OLD). The document client leaves it marshalled.
 */
export function conditionFailureItem(error: unknown): Record<string, unknown> | undefined {
  if (!isConditionFailure(error)) return undefined;
  const item = (error as { Item?: Record<string, AttributeValue> }).Item;
  return item ? (unmarshall(item) as Record<string, unknown>) : undefined;
}

interface CancellationReason {
  Code?: string;
  Item?: Record<string, AttributeValue>;
}

/**
 * The failed conditions of a cancelled transaction, each with the item as it was. Undefined when the
 * cancellation is transient (a conflict with another transaction, throttling): nothing was written.
 */
export function classifyTransactionFailure(
  error: unknown,
): { index: number; item: Record<string, unknown> | undefined }[] | undefined {
  if ((error as { name?: string })?.name !== 'TransactionCanceledException') return undefined;
  const reasons = ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map(
    (reason, index) => ({ index, reason }),
  );
  const failed = reasons.filter(({ reason }) => reason.Code === 'ConditionalCheckFailed');
  if (failed.length === 0) return undefined;
  return failed.map(({ index, reason }) => ({
    index,
    item: reason.Item ? (unmarshall(reason.Item) as Record<string, unknown>) : undefined,
  }));
}

/** Throws a TransientStoreError for retryable failures, the original error otherwise. */
export function rethrowTransient(error: unknown): never {
  const name = (error as { name?: string })?.name ?? '';
  if (TRANSIENT.has(name) || name === 'TransactionCanceledException') {
    throw new TransientStoreError(`DynamoDB: ${name}`, { cause: error });
  }
  throw error;
}
