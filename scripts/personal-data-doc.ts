// Rewrites the generated personal-data table of docs/events.md from the event catalogue:
//   npx tsx scripts/personal-data-doc.ts
// test/docs/personal-data-doc.unit.test.ts fails while the table and the catalogue differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { catalogue } from '#src/contexts/catalogue.js';
import { withPersonalDataTable } from '#src/platform/event-store/personal-data-doc.js';

const path = 'docs/events.md';
writeFileSync(path, withPersonalDataTable(readFileSync(path, 'utf8'), catalogue));
console.log(`${path}: personal-data table rewritten from the catalogue`);
