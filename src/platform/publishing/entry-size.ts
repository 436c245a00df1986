import type { BusEntry } from './integration-events.js';

/** PutEvents takes at most 10 entries per request. */
export const MAX_ENTRIES_PER_REQUEST = 10;

/**
 * PutEvents takes at most 256 KB per request (all entries together), and so per entry. Some sources report
 * AWS raising it to 1 MB in 2026; the publisher keeps 256 KB unless configured otherwise
 * (EVENTBRIDGE_MAX_REQUEST_BYTES), which holds either way.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

const utf8 = (text: string | undefined): number => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));

/**
 * An entry's size as EventBridge counts it ("Calculating PutEvents event entry size"): Time is 14 bytes when
 * given; Source, DetailType, Detail and each Resources entry count their UTF-8 bytes; EventBusName does not
 * count.
 */
export function entrySize(
  entry: Pick<BusEntry, 'Source' | 'DetailType' | 'Detail' | 'Time' | 'Resources'>,
): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    utf8(entry.Source) +
    utf8(entry.DetailType) +
    utf8(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + utf8(resource), 0)
  );
}

/**
 * Splits entries, in order, into PutEvents requests of at most 10 entries and at most `maxBytes` together.
 * An entry alone over the limit still gets a request of its own (toBusEntry keeps entries under it).
 */
export function requests<E extends Parameters<typeof entrySize>[0]>(
  entries: readonly E[],
  maxBytes: number,
): E[][] {
  const out: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length >= MAX_ENTRIES_PER_REQUEST || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
