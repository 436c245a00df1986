import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { erasureConsumer } from '#src/platform/privacy/data-subjects/erasure.consumer.js';
import { erasureProcessDependencies } from '#src/platform/privacy/data-subjects/privacy-wiring.js';

/** erasureProcess: the consumer of the erasure queue (ERASURE_REQUESTED), src/platform/privacy/data-subjects. */
export const handler = sqsConsumer(erasureConsumer(erasureProcessDependencies), consumerDependencies);
