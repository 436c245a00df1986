import { z } from 'zod';

/** Whose personal data a field holds: the part the person plays. One person (one e-mail) has one data subject. */
export type DataSubjectKind = 'user' | 'tenantContact' | 'customer';

export interface PersonalAnnotation {
  subject: DataSubjectKind;
  /**
   * What identifies the person: `'self'` when the field's own value is their e-mail, otherwise the path of that
   * e-mail relative to the object holding the field (`'email'`, `'contact.email'`), itself a personal field.
   */
  identifiedBy: string;
  /** What a read returns once the person is erased; it must pass the field's schema. Default: `[erased]`, or
   * `erased@erased.invalid` for an e-mail field. */
  placeholder?: unknown;
}

/** Every schema marked personal, with its annotation. The event catalogue reads it; nothing else needs to. */
export const personalData = z.registry<PersonalAnnotation>();

/**
 * Marks a field's schema as personal data, next to the field:
 * `contactEmail: personal(Email, { subject: 'tenantContact', identifiedBy: 'self' })`. The event store encrypts
 * such a field with the data key of the person it names; deciders and projections see the plain value. The
 * schema is cloned, so a shared schema (`Email`) is marked only where it is used through this call.
 */
export function personal<S extends z.ZodType>(schema: S, annotation: PersonalAnnotation): S {
  const marked = schema.clone() as S;
  personalData.add(marked, annotation);
  return marked;
}

/** A data subject's id: `ds_` and 26 base32 characters of a keyed hash of their e-mail (no plaintext). */
export const SUBJECT_ID = /^ds_[a-z2-7]{26}$/;

/** The type of the marker the erasure process appends to every stream holding an erased person's data. */
export const PERSONAL_DATA_ERASED = 'PERSONAL_DATA_ERASED';

/** One personal value of the erased subject in the marked stream: where it was (envelope facts, no data). */
export const ErasedFieldRef = z.strictObject({
  version: z.number().int().positive(),
  eventId: z.string().min(1),
  occurredAt: z.string().min(1),
  type: z.string().min(1),
  /** the field's concrete path in the event's data, as written (`contactEmail`, `contacts.2.email`) */
  path: z.string().min(1),
  /** what reads return there now (the field's placeholder): what a projection puts in place of its copy */
  placeholder: z.unknown(),
});

/**
 * PERSONAL_DATA_ERASED v1: the subject's key was deleted at `erasedAt` by `erasedBy` (erasure `erasureId`), and
 * these were their values in this stream (now placeholders). Every decider accepts it and every projection masks
 * or drops the listed values on it, so rows stay derived from the stream alone and a rebuild gives the same rows.
 */
export const PersonalDataErased = z.strictObject({
  erasureId: z.string().min(1).max(64),
  subjectId: z.string().regex(SUBJECT_ID),
  erasedAt: z.string().min(1),
  erasedBy: z.string().min(1).max(256),
  fields: z.array(ErasedFieldRef).max(2000),
});

/** The marker as a decider or a typed projection sees it: part of every context's event union (events.ts). */
export interface PersonalDataErasedEvent {
  type: typeof PERSONAL_DATA_ERASED;
  data: z.infer<typeof PersonalDataErased>;
}

/** The value at a concrete path of event data (`contacts.2.email`), own properties only; undefined if absent. */
export function valueAtPath(data: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, segment) =>
        value !== null && typeof value === 'object' && Object.hasOwn(value, segment)
          ? (value as Record<string, unknown>)[segment]
          : undefined,
      data,
    );
}
