import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertStreamId } from '#src/platform/event-store/core.js';
import { ValidationError } from './errors.js';
import { streamCategory } from './stream-id.js';

const things = streamCategory('thing');
const idChars = fc.constantFrom(...'aZ09_.:-'.split(''), 'é', ' ', '/', '#');

describe('stream ids', () => {
  it('builds and parses the ids of one category', () => {
    expect(things.id('01JD')).toBe('thing-01JD');
    expect(things.parse('thing-01JD')).toBe('01JD');
    expect(things.parse('thing-a-b')).toBe('a-b');
    expect(things.owns('thing-1')).toBe(true);
    expect(things.owns('things-1')).toBe(false);
    expect(() => things.parse('other-1')).toThrow(RangeError);
  });

  it('refuses, as a 400 on field id, an id no stream can have (-abc was a 500)', () => {
    for (const id of ['-abc', 'abc-', 'a--b', '', 'a b', 'x'.repeat(65)]) {
      expect(() => things.id(id), id).toThrow(ValidationError);
      expect(() => things.id(id)).toThrow(expect.objectContaining({ field: 'id' }));
    }
  });

  it("accepts a short id exactly when the event store's stream-id rule accepts the stream id it makes", () => {
    fc.assert(
      fc.property(fc.string({ unit: idChars, maxLength: 12 }), (id) => {
        const schemaSays = things.idSchema.safeParse(id).success;
        let storeSays = true;
        try {
          assertStreamId(`thing-${id}`);
        } catch {
          storeSays = false;
        }
        expect(schemaSays).toBe(storeSays);
      }),
      { numRuns: 2000 },
    );
  });
});
