import type { Consumer } from '#src/platform/consumers/consumer.js';
import { ErasureRequested } from './data-subject.events.js';
import { type ErasureProcessDependencies, runErasure } from './erasure-process.js';

/**
 * The erasure process as a consumer of ERASURE_REQUESTED (rule -> queue with a DLQ -> this). A failure leaves the
 * message to the queue: the next delivery resumes where the marked streams say it got to. Logs name the data
 * subject by id only.
 */
export function erasureConsumer(deps: () => ErasureProcessDependencies) {
  return {
    name: 'erasureProcess',
    events: { ERASURE_REQUESTED: ErasureRequested },
    async handle(event, { logger }) {
      const { erasureId, subjectId, requestedBy } = event.data;
      const report = await runErasure(deps(), {
        erasureId,
        subjectId,
        requestedAt: event.occurredAt,
        requestedBy,
        correlationId: event.correlationId,
        causationId: event.eventId,
      });
      logger.info(report.ran ? 'erasure completed' : 'erasure was complete already', {
        erasureId,
        subjectId,
        streams: report.streams,
      });
    },
  } satisfies Consumer<{ ERASURE_REQUESTED: typeof ErasureRequested }>;
}
