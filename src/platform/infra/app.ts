import { contexts } from '#src/contexts/index.js';
import type { RouteDeclaration } from '#src/platform/http/route.js';
import { platformDeployables } from '#src/platform/platform.definition.js';
import { tableName as stageTableName } from './cloudformation.js';
import {
  assertDeployableStage,
  cloudFormationParameters,
  cloudFormationResources,
  merge,
  serverlessFunctions,
} from './render.js';

/** The whole application: the platform and every bounded context, merged (a logical id declared twice throws). */
export const app = merge([platformDeployables(contexts), ...contexts]);

/** Every declared route, in declaration order. */
export const routes: readonly RouteDeclaration[] = app.functions.flatMap((fn) => fn.routes ?? []);

export function tableName(logicalId: string, stage: string): string {
  const table = app.tables[logicalId];
  if (!table) throw new RangeError(`no table ${logicalId} (declared: ${Object.keys(app.tables).join(', ')})`);
  return stageTableName(table, stage);
}

/** What serverless.yml renders for a stage (src/platform/infra/serverless.cjs). */
export function serverlessDefinition(stage: string) {
  assertDeployableStage(stage);
  return {
    functions: serverlessFunctions(app, stage),
    resources: {
      Parameters: cloudFormationParameters(app, stage),
      Resources: cloudFormationResources(app, stage),
    },
  };
}
