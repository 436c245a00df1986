import type { z } from 'zod';
import {
  type DataSubjectKind,
  type PersonalAnnotation,
  personalData,
} from '#src/platform/domain/personal-data.js';

/** A personal field of one event type and schema version, as the catalogue reports it. */
export interface PersonalField {
  /** Where it is in the data: `contactEmail`, `contacts[].email` (`[]`: every element of an array). */
  readonly path: string;
  readonly subject: DataSubjectKind;
  /** `'self'`, or the path (same notation) of the personal e-mail field that identifies the person. */
  readonly identifiedBy: string;
  /** What reads return in its place once the person is erased; it passes the field's schema. */
  readonly placeholder: unknown;
}

/** What the store needs to find a field's values in data: its segments and where its identifier sits. */
export interface PersonalFieldSpec extends PersonalField {
  readonly segments: readonly string[];
  /** Segments of the identifying e-mail relative to the object holding the field; empty for `'self'`. */
  readonly identifier: readonly string[];
}

/** One value of a personal field in a piece of data: `contacts.2.email` of `contacts[].email`. */
export interface Occurrence {
  readonly path: string;
  readonly holder: Record<string, unknown>;
  readonly key: string;
  readonly value: unknown;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
const PLACEHOLDERS = ['[erased]', 'erased@erased.invalid'];

interface Found {
  segments: string[];
  annotation: PersonalAnnotation;
  schema: z.ZodType;
}

/** `['contacts', '[]', 'email']` -> `contacts[].email` */
export const pathOf = (segments: readonly string[]): string =>
  segments.reduce((path, s) => (s === '[]' ? `${path}[]` : path ? `${path}.${s}` : s), '');

/**
 * Every personal field of a schema (objects, arrays, unions and the usual wrappers are followed), checked: an
 * identifier must be a personal field identified by itself, and a placeholder must pass the field's schema.
 */
export function personalFieldsOf(schema: z.ZodType, where: string): PersonalFieldSpec[] {
  const found: Found[] = [];
  walk(schema, [], found);
  const byPath = new Map<string, Found>();
  for (const f of found) {
    const path = pathOf(f.segments);
    const seen = byPath.get(path);
    if (seen && seen.annotation !== f.annotation) throw new Error(`${where}: ${path} is marked twice`);
    byPath.set(path, f);
  }
  return [...byPath.values()].map((f) => specOf(f, byPath, where));
}

function walk(schema: z.ZodType, segments: string[], out: Found[]): void {
  let current = schema;
  for (;;) {
    const annotation = personalData.get(current);
    if (annotation) {
      out.push({ segments, annotation, schema: current });
      return;
    }
    const def = current._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.out) current = def.out;
    else break;
  }
  const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object':
      for (const [key, field] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        walk(field, [...segments, key], out);
      }
      return;
    case 'array':
      walk(def.element as z.ZodType, [...segments, '[]'], out);
      return;
    case 'union':
      for (const option of def.options as z.ZodType[]) walk(option, segments, out);
      return;
    case 'intersection':
      walk(def.left as z.ZodType, segments, out);
      walk(def.right as z.ZodType, segments, out);
      return;
    default:
      return;
  }
}

function specOf(f: Found, all: ReadonlyMap<string, Found>, where: string): PersonalFieldSpec {
  const path = pathOf(f.segments);
  const { subject, identifiedBy } = f.annotation;
  const identifier = identifiedBy === 'self' ? [] : identifiedBy.split('.');
  const identifierPath = pathOf([...f.segments.slice(0, -1), ...identifier]);
  if (identifiedBy !== 'self' && all.get(identifierPath)?.annotation.identifiedBy !== 'self') {
    throw new Error(
      `${where}: ${path} is identified by ${identifierPath}, which is not a personal field identified by itself`,
    );
  }
  return {
    path,
    subject,
    identifiedBy: identifiedBy === 'self' ? 'self' : identifierPath,
    placeholder: placeholderOf(f, `${where}: ${path}`),
    segments: f.segments,
    identifier,
  };
}

function placeholderOf({ annotation, schema }: Found, where: string): unknown {
  const candidates = 'placeholder' in annotation ? [annotation.placeholder] : PLACEHOLDERS;
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  throw new Error(
    `${where}: no placeholder passes the field's schema (give one: personal(schema, { placeholder }))`,
  );
}

/**
 * The values of a field in `data`, each with its concrete path (array indices in place of `[]`) and the object or
 * array holding it. Absent and null values hold no personal data and are skipped.
 */
export function occurrencesOf(data: unknown, segments: readonly string[]): Occurrence[] {
  const out: Occurrence[] = [];
  const visit = (value: unknown, at: number, path: readonly string[]) => {
    const segment = segments[at];
    if (segment === undefined || value === null || typeof value !== 'object') return;
    const holder = value as Record<string, unknown>;
    for (const key of childKeys(value, segment)) {
      const child = holder[key];
      if (child === undefined || child === null) continue;
      if (at === segments.length - 1) out.push({ path: [...path, key].join('.'), holder, key, value: child });
      else visit(child, at + 1, [...path, key]);
    }
  };
  visit(data, 0, []);
  return out;
}

/** The keys a segment selects in an object or array: every index for `[]`, the named own property otherwise. */
function childKeys(value: object, segment: string): string[] {
  if (segment === '[]') return Array.isArray(value) ? value.map((_, i) => String(i)) : [];
  return !Array.isArray(value) && Object.hasOwn(value, segment) ? [segment] : [];
}

/** The identifying value of an occurrence: its own value, or its sibling at the spec's identifier path. */
export function identifierOf(spec: PersonalFieldSpec, occurrence: Occurrence): unknown {
  let value: unknown = spec.identifier.length === 0 ? occurrence.value : occurrence.holder;
  for (const segment of spec.identifier) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return value;
}
