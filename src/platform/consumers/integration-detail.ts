import { z } from 'zod';
import type { IntegrationDetail } from '#src/platform/publishing/integration-events.js';

/** The platform's integration contract, version 1 (docs/events.md), as a consumer parses it at its edge. */
export const IntegrationDetailSchema = z.object({
  specVersion: z.literal('1'),
  eventId: z.string().min(1),
  streamId: z.string().min(1),
  version: z.number().int().positive(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  occurredAt: z.string(),
  tenantId: z.string().nullable(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  actor: z.string(),
  data: z.unknown(),
  dataOmitted: z.literal(true).optional(),
});

// The publisher writes the interface, consumers read this schema: a change to one without the other fails
// the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameContract: Same<
  Omit<z.infer<typeof IntegrationDetailSchema>, 'data'>,
  Omit<IntegrationDetail, 'data'>
> = true;
void _sameContract;

/** An EventBridge event as a rule delivers it (to a function, or as an SQS message body). */
export const EventBridgeEnvelope = z.object({
  id: z.string(),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.unknown(),
});
