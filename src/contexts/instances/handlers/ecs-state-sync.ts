import { sqsAwsEventConsumer } from '#src/platform/consumers/aws-event-consumer.js';
import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { ecsStateSync } from '../ecs/ecs-state-sync.js';
import { ecsStateSyncDependencies } from '../ecs/wiring.js';

/** ecsStateSync: each aws.ecs event (both detail-types) -> RecordEcsEvent on its instance. */
export const handler = sqsAwsEventConsumer(ecsStateSync(ecsStateSyncDependencies), consumerDependencies);
