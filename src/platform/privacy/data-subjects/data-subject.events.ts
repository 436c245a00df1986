import { z } from 'zod';
import { defineEvents, type EventsOf } from '#src/platform/domain/events.js';
import { PERSONAL_DATA_ERASED, PersonalDataErased, SUBJECT_ID } from '#src/platform/domain/personal-data.js';
import type { EventDefinition } from '#src/platform/event-store/catalogue.js';

export const SubjectId = z.string().regex(SUBJECT_ID, 'must be a data subject id (ds_ and 26 of a-z2-7)');
export const ErasureId = z.string().regex(/^[0-9A-Z]{26}$/, 'must be an erasure id (a ULID)');
/** Anything shaped like an e-mail address, in any case (also what the log redaction masks). */
export const EMAIL_SHAPED = /[^\s@"'<>()[\]{},;:]+@[^\s@"'<>()[\]{},;:]+\.[^\s@"'<>()[\]{},;:]+/;

/**
 * Why the person is erased: kept on their own stream after the erasure (it is not sealed with their key, which
 * the same write deletes), so it may not hold an e-mail address; say who asked and under what, not who they are.
 */
export const ErasureReason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine(
    (reason) => !EMAIL_SHAPED.test(reason),
    'must not hold an e-mail address (it outlives the erasure)',
  );

export const ErasureRequested = z.strictObject({
  erasureId: ErasureId,
  subjectId: SubjectId,
  reason: ErasureReason,
  /** the caller's subject (the token's `sub`), as every event's actor */
  requestedBy: z.string().min(1).max(256),
});
export const ErasureProgressed = z.strictObject({
  erasureId: ErasureId,
  /** streams marked so far, of `total` found holding the person's data */
  marked: z.number().int().min(0),
  total: z.number().int().min(0),
});
export const DownstreamErasure = z.strictObject({
  /** the bounded context whose erasure handler ran (`tenants`) */
  context: z.string().min(1),
  /** what it erased from (`identity directory`) */
  holder: z.string().min(1),
  /** records erased there (0: it held none) */
  erased: z.number().int().min(0),
});
export const ErasureCompleted = z.strictObject({
  erasureId: ErasureId,
  streams: z.number().int().min(0),
  downstream: z.array(DownstreamErasure),
});

/** The events of a data subject's own stream, `datasubject-<subjectId>`: its erasures and their progress. */
export const dataSubjectEvents = defineEvents('privacy', {
  ERASURE_REQUESTED: {
    schemas: [ErasureRequested],
    description:
      "An Admin asked for the person's erasure: their data key was deleted in the same write (from then on their data reads as placeholders).",
  },
  ERASURE_PROGRESSED: {
    schemas: [ErasureProgressed],
    description: 'The erasure process marked this many of the streams holding their data.',
  },
  ERASURE_COMPLETED: {
    schemas: [ErasureCompleted],
    description: 'Every stream holding their data carries the marker, and every downstream copy is erased.',
  },
});

export type DataSubjectEvent = EventsOf<typeof dataSubjectEvents>;

/** The platform's privacy events for the catalogue: the data-subject streams', and the marker any stream may hold. */
export const privacyEventDefinitions: readonly EventDefinition[] = [
  ...dataSubjectEvents.definitions,
  {
    type: PERSONAL_DATA_ERASED,
    context: 'privacy',
    schemas: [PersonalDataErased],
    upcasters: [],
    description:
      "Appended by the erasure process to every stream that held an erased person's data: where their values were (now placeholders), and who erased them when.",
  },
];
