import { wiring } from '#src/platform/wiring.js';
import type { ConsumerDependencies } from './consumer.js';
import { DynamoConsumerLedger } from './dynamodb.ledger.js';

let built: ConsumerDependencies | undefined;

/** What every consumer's entry point needs, built once per process from the platform's adapters. */
export function consumerDependencies(): ConsumerDependencies {
  if (built) return built;
  const w = wiring();
  built = {
    logger: w.logger,
    metrics: w.metrics,
    ledger: new DynamoConsumerLedger(w.client, w.table('ConsumerLedgerTable')),
    readEvent: async (streamId, version) =>
      (await w.eventStore.readStream(streamId, version)).find((e) => e.version === version),
  };
  return built;
}
