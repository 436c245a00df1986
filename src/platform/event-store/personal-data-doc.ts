import type { EventCatalogue } from './catalogue.js';

export const PERSONAL_DATA_BEGIN =
  '<!-- personal-data: generated from the catalogue by `npx tsx scripts/personal-data-doc.ts` -->';
export const PERSONAL_DATA_END = '<!-- personal-data: end -->';

/** The personal fields of every event type and schema version in the catalogue, as a Markdown table. */
export function personalDataTable(catalogue: EventCatalogue): string {
  const rows = catalogue.definitions.flatMap((definition) =>
    definition.schemas.flatMap((_, i) =>
      catalogue.personalFields(definition.type, i + 1).map((field) => {
        const by = field.identifiedBy === 'self' ? 'itself' : `\`${field.identifiedBy}\``;
        return `| \`${definition.type}\` | ${i + 1} | \`${field.path}\` | ${field.subject} | ${by} | \`${JSON.stringify(field.placeholder)}\` |`;
      }),
    ),
  );
  return [
    '| type | v | field | whose (subject) | identified by | reads once erased |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The document with its generated section replaced by the catalogue's current table. */
export function withPersonalDataTable(document: string, catalogue: EventCatalogue): string {
  const begin = document.indexOf(PERSONAL_DATA_BEGIN);
  const end = document.indexOf(PERSONAL_DATA_END);
  if (begin < 0 || end < begin) throw new Error('the document has no generated personal-data section');
  return `${document.slice(0, begin + PERSONAL_DATA_BEGIN.length)}\n${personalDataTable(catalogue)}\n${document.slice(end)}`;
}
