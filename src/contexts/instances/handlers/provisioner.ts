import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { provisioner } from '../provisioner/change-consumer.js';
import { provisionerDependencies } from '../wiring.js';

/** provisioner: the consumer of ProvisionerQueue (the events that start an instance's GitOps change). */
export const handler = sqsConsumer(provisioner(provisionerDependencies), consumerDependencies);
