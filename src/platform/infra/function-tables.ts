import { type Json, ref } from './cloudformation.js';
import type { FunctionDefinition } from './definitions.js';

/** The variable naming a table (logical id) in a function's environment: `TABLE_<logical id>`. */
export const tableVariable = (logicalId: string): string => `TABLE_${logicalId}`;

/** The tables a function uses: those its permissions name, and its streams'. */
export function tablesOf(fn: FunctionDefinition): string[] {
  const tables = new Set<string>();
  for (const permission of fn.permissions) {
    if (permission.service === 'dynamodb') for (const table of permission.tables) tables.add(table);
  }
  for (const trigger of fn.triggers ?? []) if (trigger.kind === 'stream') tables.add(trigger.table);
  return [...tables].sort();
}

/**
 * The function's table names, as its environment carries them: `TABLE_<logical id>` for each table it uses, the
 * table's name (`Ref`). So a function's bundle needs no definitions to name its tables (src/platform/wiring.ts),
 * and knows no other table.
 */
export function tableEnvironment(fn: FunctionDefinition): Record<string, Json> {
  return Object.fromEntries(tablesOf(fn).map((id) => [tableVariable(id), ref(id)]));
}
