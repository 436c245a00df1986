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
