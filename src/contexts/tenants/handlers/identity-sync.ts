import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { wiring } from '#src/platform/wiring.js';

const Detail = z.object({
  eventId: z.string(),
  streamId: z.string().startsWith('tenant-'),
  version: z.number().int().positive(),
  type: z.enum(['USER_ASSIGNED', 'USER_REMOVED']),
  data: z.object({ userId: z.string().min(1), role: z.string().optional() }),
});

/**
 * Tenant-lifecycle rule target: carries user assignments to the identity directory (Cognito's membership
 * attribute). At-least-once and possibly reordered: the directory keeps the newest stream version per tenant.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  const detail = Detail.parse(event.detail);
  const tenantId = detail.streamId.slice('tenant-'.length);
  const role = detail.type === 'USER_ASSIGNED' ? (detail.data.role ?? null) : null;
  await wiring().identity.setMembership(detail.data.userId, tenantId, { role, version: detail.version });
  wiring().logger.info('membership synchronised', {
    eventId: detail.eventId,
    userId: detail.data.userId,
    tenantId,
    role,
  });
};
