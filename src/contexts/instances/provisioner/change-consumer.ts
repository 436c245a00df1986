import { z } from 'zod';
import type { Consumer } from '#src/platform/consumers/consumer.js';
import { type ProvisionerDependencies, provisionChange } from './provisioner.js';
import { logRefusal } from './steps.js';

/** Only the change's number matters: what to write is read from the instance's head, not from the event. */
const ChangeStarted = z.object({ change: z.number().int().min(1) });
const events = {
  INSTANCE_PROVISIONING_REQUESTED: ChangeStarted,
  INSTANCE_TIER_APPLIED: ChangeStarted,
  INSTANCE_RETRY_REQUESTED: ChangeStarted,
  INSTANCE_FOLDER_SYNC_REQUESTED: ChangeStarted,
  INSTANCE_DEPROVISIONING_REQUESTED: ChangeStarted,
};
export const CHANGE_EVENTS = Object.keys(events);

/**
 * The provisioner's consumer of the events that start a change (rule -> ProvisionerQueue). Deduplicated by event
 * id; a failure (GitHub 5xx, a push race beyond the adapter's retries, DynamoDB, a decider 409) throws: the queue
 * retries it, and after maxReceiveCount it rests in the DLQ, logged with its error (never dropped in silence).
 */
export function provisioner(deps: () => ProvisionerDependencies) {
  return {
    name: 'provisioner',
    events,
    async handle(event, { logger }) {
      await provisionChange(
        deps(),
        {
          eventId: event.eventId,
          streamId: event.streamId,
          correlationId: event.correlationId,
          occurredAt: event.occurredAt,
          change: event.data.change,
        },
        logger,
      ).catch((error) => {
        logRefusal(logger, error);
        throw error;
      });
    },
  } satisfies Consumer<typeof events>;
}
