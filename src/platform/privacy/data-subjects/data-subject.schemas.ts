import { z } from 'zod';
import { ErasureReason, SubjectId } from './data-subject.events.js';

// Request and response shapes of the data-subject API: validation at the edge and the OpenAPI document.

export const FindSubjectQuery = z.strictObject({ email: z.email().max(254) });
export const SubjectParams = z.strictObject({ subjectId: SubjectId });
export const ErasureBody = z.strictObject({ reason: ErasureReason });

const Links = z.record(z.string(), z.object({ href: z.string() }));
export const FoundSubjectView = z.object({ subjectId: z.string(), _links: Links });

const DownstreamErasureView = z.object({ context: z.string(), holder: z.string(), erased: z.number() });
export const ErasureView = z.object({
  erasureId: z.string(),
  requestedAt: z.string(),
  requestedBy: z.string(),
  reason: z.string(),
  status: z.enum(['erasing', 'completed']),
  /** streams marked so far of those found holding the person's data (total: null until they are found) */
  streams: z.object({ marked: z.number(), total: z.number().nullable() }),
  completedAt: z.string().optional(),
  downstream: z.array(DownstreamErasureView).optional(),
});
export const SubjectExportView = z.object({
  subjectId: z.string(),
  status: z.enum(['held', 'erasing', 'erased']),
  streams: z.array(
    z.object({
      streamId: z.string(),
      values: z.array(
        z.object({
          version: z.number(),
          type: z.string(),
          occurredAt: z.string(),
          path: z.string(),
          value: z.unknown().optional(),
          erased: z.literal(true).optional(),
        }),
      ),
    }),
  ),
  downstream: z.array(z.object({ context: z.string(), holder: z.string(), records: z.array(z.unknown()) })),
  erasures: z.array(ErasureView),
  _links: Links,
});
export const ErasureRequestedView = z.object({
  subjectId: z.string(),
  erasure: ErasureView,
  _links: Links,
});
