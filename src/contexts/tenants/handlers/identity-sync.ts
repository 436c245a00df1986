import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { eventStore, identity } from '#src/platform/wiring.js';
import { identitySync } from '../reactions/identity-sync.reaction.js';

/** identitySync: the consumer of the identity-sync FIFO queue (USER_ASSIGNED / USER_REMOVED). */
export const handler = sqsConsumer(
  identitySync(() => ({ store: eventStore(), identity: identity() })),
  consumerDependencies,
);
