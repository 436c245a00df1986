import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { ecsControl } from '../ecs/ecs-control.js';
import { ecsControlDependencies } from '../ecs/wiring.js';

/** ecsControl: INSTANCE_SCALED / SUSPENDED / RESUMED / WORKFLOW_SUCCEEDED -> the service's counts and bounds. */
export const handler = sqsConsumer(ecsControl(ecsControlDependencies), consumerDependencies);
