import type { Context, EventBridgeEvent } from 'aws-lambda';
import {
  type Consumer,
  type ConsumerDependencies,
  consumeOne,
  type EventSchemas,
  eventLogger,
  parseEvent,
  recordFailure,
} from './consumer.js';

/**
 * The Lambda entry point of a consumer a rule invokes directly (asynchronous invocation): the same parsing,
 * deduplication, logs and failure metric as an SQS consumer; a failure is thrown, so Lambda retries it twice and
 * then hands it to the function's on-failure destination or drops it. Prefer a queue for anything that must
 * not be lost (docs/architecture.md, "Consumers").
 */
export function eventBridgeConsumer<S extends EventSchemas>(
  consumer: Consumer<S>,
  deps: () => ConsumerDependencies,
) {
  return async (
    raw: EventBridgeEvent<string, unknown>,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<void> => {
    const d = deps();
    let logger = d.logger.createChild({ persistentKeys: { consumer: consumer.name, eventBridgeId: raw.id } });
    try {
      const event = await parseEvent(consumer, d, raw);
      logger = eventLogger(d.logger, consumer.name, event);
      await consumeOne(consumer, d, event, logger, context?.getRemainingTimeInMillis() ?? 60_000);
    } catch (error) {
      recordFailure(d, consumer.name, logger, error);
      throw error;
    } finally {
      d.metrics.flush();
    }
  };
}
