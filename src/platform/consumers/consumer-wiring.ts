import { catalogue } from '#src/contexts/catalogue.js';
import { publishedData } from '#src/platform/publishing/integration-events.js';
import { client, eventStore, logger, metrics, table } from '#src/platform/wiring.js';
import type { ConsumerDependencies } from './consumer.js';
import { DynamoConsumerLedger } from './dynamodb.ledger.js';
import type { ConsumerLedger } from './ledger.js';

let built: ConsumerDependencies | undefined;

/** What every consumer's entry point needs, built once per process from the platform's adapters. */
export function consumerDependencies(): ConsumerDependencies {
  if (built) return built;
  // Only the adapters a consumer calls, so its bundle holds no other client (docs/performance.md, "Bundles").
  built = {
    logger: logger(),
    metrics: metrics(),
    ledger: lazyLedger(() => new DynamoConsumerLedger(client(), table()('ConsumerLedgerTable'))),
    // An omitted payload read back has the published shape too: personal values sealed, never in plain.
    readEvent: async (streamId, version) => {
      const event = (await eventStore().readStream(streamId, version)).find((e) => e.version === version);
      return event && { ...event, data: publishedData(catalogue, event) };
    },
  };
  return built;
}

/**
 * The ledger, made on its first use: a consumer that deduplicates without it (its decider or the head make it
 * idempotent) is given no ledger table (src/platform/infra/function-tables.ts) and never names one.
 */
function lazyLedger(make: () => ConsumerLedger): ConsumerLedger {
  let ledger: ConsumerLedger | undefined;
  const get = () => {
    ledger ??= make();
    return ledger;
  };
  return {
    claim: (consumer, eventId, leaseMs) => get().claim(consumer, eventId, leaseMs),
    complete: (consumer, eventId) => get().complete(consumer, eventId),
    release: (consumer, eventId) => get().release(consumer, eventId),
  };
}
