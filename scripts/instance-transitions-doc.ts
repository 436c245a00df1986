// Rewrites the generated state x event tables of docs/events.md from the instance decider:
//   npx tsx scripts/instance-transitions-doc.ts
// src/contexts/instances/domain/instance.transitions.unit.test.ts fails while the doc and the decider differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { withTransitionTables } from '#src/contexts/instances/domain/transition-table.js';

const path = 'docs/events.md';
writeFileSync(path, withTransitionTables(readFileSync(path, 'utf8')));
console.log(`${path}: instance state x event tables rewritten from the decider`);
