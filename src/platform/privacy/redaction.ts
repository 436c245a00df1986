import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';

/**
 * Redaction of what leaves the process as text — log lines, stored error texts, problem details: the values of
 * keys named like a personal field of the catalogue (`contactEmail`, `email`), and anything shaped like an e-mail
 * address (plain or URL-encoded) in any string. Deliberately blunt: a log or an error never needs a person's
 * address, and a projection bug or a library message may echo one anywhere.
 */
export const REDACTED = '[redacted]';
export const EMAIL_MASK = '[email]';

const EMAIL = /[^\s@"'<>()[\]{},;:\\/]+@[^\s@"'<>()[\]{},;:\\/]+\.[A-Za-z0-9-]+/g;
const URL_ENCODED_EMAIL = /[A-Za-z0-9._%+-]+%40[A-Za-z0-9.-]+\.[A-Za-z0-9-]+/gi;

/** The text with every e-mail-shaped part masked. */
export const redactText = (text: string): string =>
  text.replace(EMAIL, EMAIL_MASK).replace(URL_ENCODED_EMAIL, EMAIL_MASK);

/** The last segment of every personal field's path (`people[].email` -> `email`), across every type and version. */
export function personalKeys(catalogue: EventCatalogue): Set<string> {
  const keys = new Set<string>();
  for (const definition of catalogue.definitions) {
    definition.schemas.forEach((_, i) => {
      for (const field of catalogue.personalFields(definition.type, i + 1)) {
        const last = field.path.split('.').at(-1)?.replace(/\[\]$/, '');
        if (last) keys.add(last);
      }
    });
  }
  return keys;
}

/**
 * A JSON.stringify replacer (Powertools Logger's `jsonReplacerFn`: it runs on every key and value of a log item,
 * errors' messages and stacks included): personal keys' values redacted, e-mail shapes masked in every string.
 */
export function redactingReplacer(keys: ReadonlySet<string>) {
  return (key: string, value: unknown): unknown => {
    if (keys.has(key) && value !== null && value !== undefined && typeof value !== 'object') return REDACTED;
    if (keys.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value))
      return REDACTED;
    return typeof value === 'string' ? redactText(value) : value;
  };
}
