import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { personalDataTable, withPersonalDataTable } from '#src/platform/event-store/personal-data-doc.js';

describe('docs/events.md: personal data', () => {
  const doc = readFileSync('docs/events.md', 'utf8');

  it('lists exactly the personal fields of the catalogue (regenerate: npx tsx scripts/personal-data-doc.ts)', () => {
    expect(withPersonalDataTable(doc, catalogue)).toBe(doc);
  });

  it('has a row for every personal field of every event type and schema version', () => {
    const table = personalDataTable(catalogue);
    for (const definition of catalogue.definitions) {
      definition.schemas.forEach((_, i) => {
        for (const field of catalogue.personalFields(definition.type, i + 1)) {
          expect(table, `${definition.type} v${i + 1} ${field.path}`).toContain(
            `| \`${definition.type}\` | ${i + 1} | \`${field.path}\` | ${field.subject} |`,
          );
        }
      });
    }
  });
});
