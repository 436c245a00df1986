import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { catalogue } from '#src/contexts/catalogue.js';
import type { Config } from '#src/platform/config/config.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { ProjectionDispatcher } from '#src/platform/projection-runtime/dispatcher.js';
import type { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { FailureHandler } from '#src/platform/projection-runtime/failure-handler.js';
import type { Metrics } from '#src/platform/projection-runtime/ports.js';
import type { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import type { EventBus } from '#src/platform/publishing/publisher.js';
import { RecordPublisher } from '#src/platform/publishing/record-publisher.js';

export interface StreamConsumerDependencies {
  client: DynamoDBDocumentClient;
  eventStore: EventStore;
  registry: ProjectionRegistry;
  parked: DynamoParkedEvents;
  metrics: Metrics;
  bus: EventBus;
  busName: string;
  logger: Logger;
}

/**
 * Entries a call refused are resent a few times within the invocation only: Lambda retries the record anyway,
 * and a short handler keeps the retry pace Lambda's (docs/operations.md).
 */
const ENTRY_RETRY = {
  attempts: 3,
  baseDelayMs: 25,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The two consumers of the event table's stream, with the failure policy of docs/operations.md. */
export function streamConsumers(config: Config, deps: StreamConsumerDependencies) {
  return { dispatcher: projectionDispatcher(config, deps), publisher: recordPublisher(config, deps) };
}

/*
 * Each consumer on its own too: src/platform/wiring.ts builds only the one a handler asks for, so the projection
 * dispatcher's Lambda bundle holds no EventBridge client (docs/performance.md, "Bundles").
 */
export function projectionDispatcher(
  config: Config,
  deps: Omit<StreamConsumerDependencies, 'bus' | 'busName'>,
): ProjectionDispatcher {
  return new ProjectionDispatcher({
    writer: new DynamoProjectionWriter(deps.client, deps.eventStore),
    parked: deps.parked,
    targets: () => deps.registry.targets(),
    metrics: deps.metrics,
    clock: () => new Date(),
    policy: {
      maxAttempts: config.PROJECTION_MAX_ATTEMPTS,
      parkAfterMs: config.STREAM_PARK_AFTER_SECONDS * 1000,
    },
    heartbeat: (target, lastEventAt, lagMs) => deps.registry.heartbeat(target, lastEventAt, lagMs),
    log: (message, data) => deps.logger.warn(message, data),
  });
}

export function recordPublisher(
  config: Config,
  deps: Pick<StreamConsumerDependencies, 'bus' | 'busName' | 'parked' | 'metrics' | 'logger'>,
): RecordPublisher {
  return new RecordPublisher({
    bus: deps.bus,
    busName: deps.busName,
    catalogue,
    failures: new FailureHandler({
      parked: deps.parked,
      metrics: deps.metrics,
      policy: {
        maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
        parkAfterMs: config.STREAM_PARK_AFTER_SECONDS * 1000,
      },
      log: (message, data) => deps.logger.warn(message, data),
    }),
    metrics: deps.metrics,
    clock: () => new Date(),
    retry: ENTRY_RETRY,
    maxRequestBytes: config.EVENTBRIDGE_MAX_REQUEST_BYTES,
  });
}
