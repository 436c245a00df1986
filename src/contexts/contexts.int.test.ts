import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { contextModels } from './catalogue.js';
import { contexts } from './index.js';

const plugins = createRequire(import.meta.url)('../platform/infra/esbuild-plugins.cjs');

/** The source files a handler's bundle holds (esbuild, as serverless-esbuild bundles it). */
async function bundled(entry: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    plugins,
    write: false,
    metafile: true,
    outdir: 'unused',
    logLevel: 'silent',
  });
  return Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs));
}

/** A context's code that only its own functions and the deploying/serving tools may need. */
const registered = (context: string) =>
  new RegExp(`^src/contexts/${context}/(registration\\.ts|api/|handlers/|provisioner/|ecs/|reactions/)`);

describe('the contexts: one list of registrations, one of models', () => {
  it('names the same contexts in the same order, each registration carrying its own model', () => {
    expect(contexts.map((c) => c.name)).toEqual(contextModels.map((m) => m.name));
    contexts.forEach((context, i) => {
      const model = contextModels[i];
      expect(context.events).toBe(model?.events);
      expect(context.aggregates).toBe(model?.aggregates);
      expect(context.projections).toBe(model?.projections);
      expect(context.personalData).toBe(model?.personalData);
    });
  });

  it('keeps routes and deployables out of the models (what every function bundles)', () => {
    for (const model of contextModels) {
      for (const key of ['functions', 'tables', 'queues', 'rules', 'local']) {
        expect(model).not.toHaveProperty(key);
      }
    }
  });

  it("bundles no other context's routes, handlers or consumers into a function", async () => {
    const [plansApi, tenantApi, dispatcher] = await Promise.all([
      bundled('src/contexts/plans/handlers/plans-api.ts'),
      bundled('src/contexts/tenants/handlers/tenant-api.ts'),
      bundled('src/platform/handlers/projection-dispatcher.ts'),
    ]);
    // every function still holds every context's model: the event catalogue is the whole system's
    expect(dispatcher).toEqual(
      expect.arrayContaining([
        'src/contexts/tenants/domain/tenant.events.ts',
        'src/contexts/instances/domain/instance.events.ts',
      ]),
    );
    for (const context of ['tenants', 'plans', 'instances']) {
      expect(dispatcher.filter((f) => registered(context).test(f))).toEqual([]);
    }
    expect(plansApi.filter((f) => registered('tenants').test(f) || registered('instances').test(f))).toEqual(
      [],
    );
    expect(tenantApi.filter((f) => registered('plans').test(f) || registered('instances').test(f))).toEqual(
      [],
    );
    expect(tenantApi).toContain('src/contexts/tenants/api/tenant.routes.ts');
  }, 60_000);
});
