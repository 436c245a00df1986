import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';

describe('docs/events.md', () => {
  it('has an entry for every event type of the catalogue, with its current schema version', () => {
    const doc = readFileSync('docs/events.md', 'utf8');
    for (const definition of catalogue.definitions) {
      expect(doc, definition.type).toMatch(
        new RegExp(`\\| \`${definition.type}\` \\| ${definition.schemas.length} \\|`),
      );
    }
  });
});
