import { DynamoConsumerLedger } from '#src/platform/consumers/dynamodb.ledger.js';
import type { ConsumerLedger } from '#src/platform/consumers/ledger.js';
import { client, logger, metrics, table } from '#src/platform/wiring.js';
import { followConsumer } from '../provisioner/follow-consumer.js';
import { provisionerDependencies } from '../wiring.js';

let built: ConsumerLedger | undefined;
/** The consumer ledger (bbws-consumer-ledger-<stage>): each poll recorded once. */
function ledger(): ConsumerLedger {
  built ??= new DynamoConsumerLedger(client(), table()('ConsumerLedgerTable'));
  return built;
}

/** provisionerFollow: the consumer of ProvisionerFollowQueue (delayed polls of a workflow run, each polled once). */
export const handler = followConsumer(() => ({
  provisioner: provisionerDependencies(),
  logger: logger(),
  metrics: metrics(),
  ledger: ledger(),
}));
