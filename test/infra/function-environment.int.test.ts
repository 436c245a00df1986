import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '#src/platform/infra/create-tables.js';
import { installFunctionEnvironments, withheldVariables } from '#src/platform/local/function-environment.js';
import { importInScope, installFunctionScopes } from '#src/platform/local/function-scope.js';
import { loadWiring } from '#src/platform/local/wiring.js';

/**
 * The local runtime gives each function the stack's secrets exactly as the template does (review 8, #2): its
 * wiring comes from serverless.yml as rendered, and each function's config module (its own instance, as the
 * LambdaHost loads it) reads the process's environment without the variables only other functions are given.
 */
const root = process.cwd();
const RUNTIME = 90_000 + Math.floor(Math.random() * 9_000); // a start of the local runtime of this test's own
const SECRETS = {
  SUBJECT_INDEX_KEY: 'local-subject-index-key-0123456789abcdef',
  CURSOR_SECRET: 'c'.repeat(40),
};
const wiring = loadWiring(root);
let uninstall: () => void;
const saved = { ...process.env };

beforeAll(async () => {
  // as the local runtime sets its stand-ins' values and every table's name for all functions
  Object.assign(process.env, SECRETS, tableNames('rt'));
  uninstall = installFunctionEnvironments(RUNTIME, wiring);
  await installFunctionScopes(root);
});
afterAll(() => {
  uninstall?.();
  for (const name of Object.keys({ ...SECRETS, ...tableNames('rt') }))
    if (!(name in saved)) delete process.env[name];
});

/** What the function's own config module reads, loaded in its scope as the LambdaHost loads its handler. */
async function configOf(fn: string): Promise<Record<string, unknown>> {
  const module = await importInScope(root, 'src/platform/config/config.ts', { fn, runtime: RUNTIME });
  return (module.loadConfig as () => Record<string, unknown>)();
}

describe("each local function's environment", () => {
  it('gives the secrets to the functions the template gives them to', async () => {
    for (const fn of ['tenantApi', 'privacyApi']) {
      expect(await configOf(fn), fn).toMatchObject(SECRETS);
    }
    expect(await configOf('instanceApi')).toMatchObject({ CURSOR_SECRET: SECRETS.CURSOR_SECRET });
  });

  it('withholds them from every other function, as AWS does', async () => {
    for (const fn of [
      'health',
      'openApi',
      'eventPublisher',
      'projectionDispatcher',
      'ecsControl',
      'identitySync',
    ]) {
      const config = await configOf(fn);
      expect({ fn, cursor: config.CURSOR_SECRET, index: config.SUBJECT_INDEX_KEY }).toEqual({
        fn,
        cursor: undefined,
        index: undefined,
      });
    }
    expect((await configOf('instanceApi')).SUBJECT_INDEX_KEY).toBeUndefined();
    // code outside a function (tests, the CLI) reads the process's environment as is
    expect(process.env.SUBJECT_INDEX_KEY).toBe(SECRETS.SUBJECT_INDEX_KEY);
  });

  it("withholds only other functions' own variables, never the provider's", () => {
    const withheld = withheldVariables(wiring);
    for (const [fn, names] of withheld) {
      for (const shared of wiring.sharedVariables ?? [])
        expect(names.has(shared), `${fn} ${shared}`).toBe(false);
    }
    expect([...(withheld.get('tenantApi') ?? [])]).not.toContain('SUBJECT_INDEX_KEY');
    expect([...(withheld.get('health') ?? [])]).toEqual(
      expect.arrayContaining(['SUBJECT_INDEX_KEY', 'CURSOR_SECRET']),
    );
  });

  it('names only the tables the function uses', async () => {
    const tablesOf = async (fn: string) => {
      const module = await importInScope(root, 'src/platform/config/config.ts', { fn, runtime: RUNTIME });
      return (module.configuredTables as () => (id: string) => string)();
    };
    const publisher = await tablesOf('eventPublisher');
    expect(publisher('EventStoreTable')).toBe('bbws-event-store-rt');
    expect(() => publisher('TenantsV1Table')).toThrow(
      /TABLE_TenantsV1Table is not in this function's environment/,
    );
    expect((await tablesOf('tenantApi'))('TenantsV1Table')).toBe('bbws-tenants-rt');
  });
});
