import { combinedKey, open, SealBrokenError, seal } from '#src/platform/privacy/cipher.js';
import type { DataKey, KeyReader } from '#src/platform/privacy/subject-keys.js';
import type { EventCatalogue } from './catalogue.js';
import type { StoredEvent } from './core.js';
import { InvalidEventError, PersonalDataError } from './errors.js';
import type { ErasedField, SubjectField } from './event-store.port.js';
import { identifierOf, type Occurrence, occurrencesOf } from './personal-fields.js';

/**
 * A personal value as stored, in place of the value: the subject whose key sealed it, that key's id, and
 * AES-256-GCM of the value's JSON with `bbws-pd/1|<event id>|<path>` as associated data, so it opens only in the
 * event and at the path it was written to.
 */
export interface SealedField {
  $pd: 1;
  s: string;
  k: string;
  c: string;
}

export const isSealedField = (value: unknown): value is SealedField =>
  typeof value === 'object' &&
  value !== null &&
  (value as { $pd?: unknown }).$pd === 1 &&
  typeof (value as { s?: unknown }).s === 'string' &&
  typeof (value as { c?: unknown }).c === 'string';

const fieldAad = (eventId: string, path: string) => `bbws-pd/1|${eventId}|${path}`;

/** An event validated for writing, with its data in plain (what deciders and the append result see). */
export interface ValidEvent {
  stored: StoredEvent;
  data: unknown;
}

/** Which subject each personal value of a batch belongs to: event index -> concrete path -> subject id. */
export interface SealPlan {
  events: readonly ValidEvent[];
  subjectsByPath: readonly ReadonlyMap<string, string>[];
  subjects: ReadonlySet<string>;
}

/** Finds every personal value of a batch and the subject it belongs to (refusing one without an identifier). */
export function planSealing(
  catalogue: EventCatalogue,
  events: readonly ValidEvent[],
  identify: (identifier: string) => string,
): SealPlan {
  const subjects = new Set<string>();
  const subjectsByPath = events.map(({ stored, data }) => {
    const byPath = new Map<string, string>();
    for (const spec of catalogue.personalSpecs(stored.t, stored.sv)) {
      for (const occurrence of occurrencesOf(data, spec.segments)) {
        const identifier = identifierOf(spec, occurrence);
        if (typeof identifier !== 'string' || identifier.trim() === '') {
          throw new InvalidEventError(
            stored.t,
            stored.sv,
            `${occurrence.path} is personal data of nobody: ${spec.identifiedBy} is missing`,
          );
        }
        const subjectId = identify(identifier);
        byPath.set(occurrence.path, subjectId);
        subjects.add(subjectId);
      }
    }
    return byPath;
  });
  return { events, subjectsByPath, subjects };
}

/** The batch as stored: every personal value replaced by its SealedField (fresh IVs on every call). */
export function sealEvents(
  catalogue: EventCatalogue,
  plan: SealPlan,
  keys: ReadonlyMap<string, DataKey>,
): StoredEvent[] {
  return plan.events.map(({ stored }, i) => {
    const byPath = plan.subjectsByPath[i];
    if (!byPath || byPath.size === 0) return stored;
    const sealed: unknown = JSON.parse(stored.d); // a copy of `data`, cheaper than structuredClone
    for (const spec of catalogue.personalSpecs(stored.t, stored.sv)) {
      for (const occurrence of occurrencesOf(sealed, spec.segments)) {
        const key = keys.get(byPath.get(occurrence.path) ?? '');
        if (!key) throw new Error(`no data key for ${occurrence.path} of ${stored.id}`);
        occurrence.holder[occurrence.key] = sealField(stored.id, occurrence, key);
      }
    }
    return { ...stored, d: JSON.stringify(sealed) };
  });
}

const sealField = (eventId: string, occurrence: Occurrence, key: DataKey): SealedField => ({
  $pd: 1,
  s: key.subjectId,
  k: key.kid,
  c: seal(key.key, JSON.stringify(occurrence.value), fieldAad(eventId, occurrence.path)),
});

/** A stored event read back: its data parsed, personal values opened or replaced by placeholders. */
export interface OpenedEvent {
  stored: StoredEvent;
  data: unknown;
  erased: ErasedField[];
  /** The data subjects its sealed values belong to, erased or not. */
  subjects: string[];
  /** Each sealed value: its path, its subject and the sealed form stored there. */
  fields: SubjectField[];
}

/** The subjects whose keys a batch of stored events needs, with each event's data parsed once. */
export function sealedSubjects(catalogue: EventCatalogue, stored: readonly StoredEvent[]) {
  const subjects = new Set<string>();
  const parsed = stored.map((event) => {
    const specs = catalogue.personalSpecs(event.t, event.sv);
    if (specs.length === 0) return undefined;
    const data = parseData(event);
    for (const spec of specs) {
      for (const { value } of occurrencesOf(data, spec.segments)) {
        if (isSealedField(value)) subjects.add(value.s);
      }
    }
    return data;
  });
  return { subjects, parsed };
}

/**
 * Opens every personal value of stored events with the live keys given. A subject without a live key (erased,
 * or a key made after its erasure: another kid) reads as the field's placeholder and is listed in `erased`; a
 * value that does not open with its subject's live key was moved or changed: PersonalDataError.
 */
export function openEvents(
  catalogue: EventCatalogue,
  stored: readonly StoredEvent[],
  parsed: readonly unknown[],
  keys: ReadonlyMap<string, DataKey>,
): OpenedEvent[] {
  return stored.map((event, i) => {
    const specs = catalogue.personalSpecs(event.t, event.sv);
    if (specs.length === 0)
      return { stored: event, data: parseData(event), erased: [], subjects: [], fields: [] };
    const data = parsed[i] ?? parseData(event);
    const found = { erased: [] as ErasedField[], subjects: new Set<string>(), fields: [] as SubjectField[] };
    for (const spec of specs) {
      for (const occurrence of occurrencesOf(data, spec.segments)) {
        openOccurrence(occurrence, { event, placeholder: spec.placeholder, keys, found });
      }
    }
    return { stored: event, data, erased: found.erased, subjects: [...found.subjects], fields: found.fields };
  });
}

interface OpenContext {
  event: StoredEvent;
  placeholder: unknown;
  keys: ReadonlyMap<string, DataKey>;
  /** What the event's opening found: fields of erased subjects, every subject named, every sealed value. */
  found: { erased: ErasedField[]; subjects: Set<string>; fields: SubjectField[] };
}

/** Puts the plain value (or the placeholder, for an erased subject) where the sealed one was. */
function openOccurrence(occurrence: Occurrence, { event, placeholder, keys, found }: OpenContext): void {
  const field = occurrence.value;
  if (!isSealedField(field)) return;
  found.subjects.add(field.s);
  found.fields.push({
    path: occurrence.path,
    subjectId: field.s,
    sealed: { $pd: 1, s: field.s, k: field.k, c: field.c },
  });
  const key = keys.get(field.s);
  if (key && key.kid === field.k) {
    occurrence.holder[occurrence.key] = openField(event, occurrence.path, field, key);
    return;
  }
  occurrence.holder[occurrence.key] = structuredClone(placeholder);
  found.erased.push({ path: occurrence.path, subjectId: field.s });
}

/** Reads the keys a batch of stored events needs and opens them; the keys found are the live subjects'. */
export async function openStored(
  catalogue: EventCatalogue,
  reader: KeyReader,
  stored: readonly StoredEvent[],
): Promise<{ events: OpenedEvent[]; keys: ReadonlyMap<string, DataKey> }> {
  const { subjects, parsed } = sealedSubjects(catalogue, stored);
  const keys = subjects.size === 0 ? new Map<string, DataKey>() : await reader.readKeys(subjects);
  return { events: openEvents(catalogue, stored, parsed, keys), keys };
}

/** Whether a stored event still holds a sealed personal value (it was never opened). */
export function stillSealed(catalogue: EventCatalogue, event: StoredEvent, data: unknown): boolean {
  return catalogue
    .personalSpecs(event.t, event.sv)
    .some((spec) => occurrencesOf(data, spec.segments).some((o) => isSealedField(o.value)));
}

function openField(event: StoredEvent, path: string, field: SealedField, key: DataKey): unknown {
  try {
    return JSON.parse(open(key.key, field.c, fieldAad(event.id, path)).toString('utf8'));
  } catch (error) {
    if (!(error instanceof SealBrokenError)) throw error;
    throw new PersonalDataError(
      event.t,
      event.sv,
      `${path} of event ${event.id} does not decrypt with the key of ${field.s}: it was moved from another event or field, or changed`,
      { cause: error },
    );
  }
}

function parseData(event: StoredEvent): unknown {
  try {
    return JSON.parse(event.d);
  } catch (error) {
    throw new InvalidEventError(event.t, event.sv, `stored data is not JSON (${event.id})`, { cause: error });
  }
}

/** A whole value (a snapshot's state, a stored result) sealed for several subjects: all their keys open it. */
export interface SealedForSubjects {
  /** [subject id, key id] of every key the value needs, by subject id. */
  ks: [string, string][];
  c: string;
}

/** Seals `plaintext` with one key derived from every key given (sorted by subject), bound to `purpose`. */
export function sealForSubjects(
  keys: readonly DataKey[],
  plaintext: string,
  purpose: string,
): SealedForSubjects {
  const sorted = [...keys].sort((a, b) => (a.subjectId < b.subjectId ? -1 : 1));
  const key = combinedKey(
    sorted.map((k) => k.key),
    purpose,
  );
  return { ks: sorted.map((k) => [k.subjectId, k.kid]), c: seal(key, plaintext, purpose) };
}

/** The plaintext, or undefined once any of its subjects' keys is gone (erased, or replaced after an erasure). */
export function openForSubjects(
  sealed: SealedForSubjects,
  keys: ReadonlyMap<string, DataKey>,
  purpose: string,
): string | undefined {
  const needed: DataKey[] = [];
  for (const [subjectId, kid] of sealed.ks) {
    const key = keys.get(subjectId);
    if (!key || key.kid !== kid) return undefined;
    needed.push(key);
  }
  const key = combinedKey(
    needed.map((k) => k.key),
    purpose,
  );
  return open(key, sealed.c, purpose).toString('utf8');
}
