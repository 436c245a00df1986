import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import { tablesOf } from '#src/platform/infra/function-tables.js';
import { type CloudFormationTemplate, packagedTemplate } from '#test/serverless-template.js';

/**
 * Functions name their tables from their environment (review 8, #9): `TABLE_<logical id>` for each table they use,
 * rendered per function; src/platform/wiring.ts no longer imports the definitions (src/platform/infra/app.ts:
 * every context's routes and deployables, the renderer) into every bundle just to name tables.
 */
type Resource = CloudFormationTemplate['Resources'][string];
const tableVariables = (resource: Resource | undefined): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(
      (resource?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {},
    ).filter(([name]) => name.startsWith('TABLE_')),
  );
const lambdaId = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`;

describe.each(['dev', 'prod'] as const)('the packaged %s template', (stage) => {
  const template = packagedTemplate(stage);

  it('gives each function the names of exactly the tables it uses, as Refs', () => {
    for (const fn of app.functions) {
      const expected = Object.fromEntries(tablesOf(fn).map((id) => [`TABLE_${id}`, { Ref: id }]));
      expect(tableVariables(template.Resources[lambdaId(fn.name)]), fn.name).toEqual(expected);
    }
    expect(tableVariables(template.Resources.HealthLambdaFunction)).toEqual({});
    expect(Object.keys(tableVariables(template.Resources.EventPublisherLambdaFunction))).toEqual([
      'TABLE_EventStoreTable',
      'TABLE_ParkedEventsTable',
    ]);
  });
});

describe("the functions' bundles", () => {
  it('do not hold the definitions: no handler but the OpenAPI document reaches infra/app.ts or the renderer', async () => {
    const handlers = app.functions
      .filter((fn) => fn.name !== 'openApi') // it serves every declared route: app.ts is its content
      .map((fn) => `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`);
    const { metafile } = await build({
      entryPoints: handlers,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      outdir: 'unused',
      logLevel: 'silent',
    });
    for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
      const reached = Object.keys(inputs).filter((input) =>
        /^src\/platform\/infra\/(app|render|iam)\.ts$/.test(input),
      );
      expect(reached, output).toEqual([]);
    }
  });
});
