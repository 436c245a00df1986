import { logger, metrics } from '#src/platform/wiring.js';
import { followConsumer } from '../provisioner/follow-consumer.js';
import { provisionerDependencies } from '../wiring.js';

/** provisionerFollow: the consumer of ProvisionerFollowQueue (delayed polls of a workflow run). */
export const handler = followConsumer(() => ({
  provisioner: provisionerDependencies(),
  logger: logger(),
  metrics: metrics(),
}));
