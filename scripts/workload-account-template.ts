// Writes infra/workload-account.template.json, what an operator deploys in each workload account (docs/deployment.md,
// "In each workload account"), from its one declaration (src/contexts/instances/ecs/workload-account.ts). A test
// fails while the checked-in file differs from this output: run `npx tsx scripts/workload-account-template.ts`.
import { writeFileSync } from 'node:fs';
import { workloadAccountTemplate } from '../src/contexts/instances/ecs/workload-account.js';

const file = new URL('../infra/workload-account.template.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(workloadAccountTemplate(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
