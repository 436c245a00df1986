import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The section subscribers read to know what delivery promises (issue 7, item 9). */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" in the document`);
  const next = doc.indexOf('\n#', start + heading.length);
  return doc.slice(start, next < 0 ? undefined : next).replace(/\s+/g, ' ');
}

describe('docs/events.md: delivery and order', () => {
  const delivery = section(readFileSync('docs/events.md', 'utf8'), '### Delivery and order');

  it('states that EventBridge never guaranteed order and that subscribers order by stream version', () => {
    expect(delivery).toMatch(/EventBridge never guaranteed the order/);
    expect(delivery).toMatch(/Subscribers order a stream's events by `version`/);
  });

  it('states that subscribers deduplicate by eventId and that a parked event does not hold back later ones', () => {
    expect(delivery).toMatch(/Subscribers deduplicate by `eventId`/);
    expect(delivery).toMatch(/parked event \*\*does not hold back later ones\*\*/);
  });

  it('names the PutEvents limits the publisher keeps', () => {
    expect(delivery).toMatch(/at most 10 entries and at most 256 KB/);
  });
});
