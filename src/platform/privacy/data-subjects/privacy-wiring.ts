import { contextModels } from '#src/contexts/catalogue.js';
import { newUlid } from '#src/platform/http/ids.js';
import { client, config, eventStore, identity, keys, registry, runner, table } from '#src/platform/wiring.js';
import type { RegisteredHandler } from './access.js';
import type { DataSubjectApiDependencies } from './data-subject.routes.js';
import { DataSubjectIndex } from './data-subjects.read-model.js';
import { DATA_SUBJECTS } from './data-subjects.v1.js';
import type { ErasureProcessDependencies } from './erasure-process.js';
import type { PersonalDataDependencies } from './personal-data-handler.js';
import { dynamoSubjectStreams } from './subject-streams.js';

/** Every context's handler of the copies it keeps outside the event table. */
export const registeredHandlers = (): RegisteredHandler[] =>
  contextModels.flatMap((c) => (c.personalData ? [{ context: c.name, handler: c.personalData }] : []));

const handlerDeps = (): PersonalDataDependencies => ({
  identity: identity(),
  client: client(),
  table: table(),
});

let api: DataSubjectApiDependencies | undefined;

/** The privacy API's adapters, built once per process from the platform's. */
export function privacyApiDependencies(): DataSubjectApiDependencies {
  api ??= {
    store: eventStore(),
    keys: keys(),
    runner: runner(),
    index: new DataSubjectIndex(client(), async () => (await registry().active(DATA_SUBJECTS)).tableName),
    handlers: registeredHandlers(),
    handlerDeps,
  };
  return api;
}

let process: ErasureProcessDependencies | undefined;

/** The erasure process's adapters. */
export function erasureProcessDependencies(): ErasureProcessDependencies {
  process ??= {
    store: eventStore(),
    runner: runner(),
    streams: dynamoSubjectStreams(client(), table()('EventStoreTable')),
    handlers: registeredHandlers(),
    handlerDeps,
    clock: () => new Date(),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    newEventId: newUlid,
    keyCacheMs: config().DATA_KEY_CACHE_SECONDS * 1000,
  };
  return process;
}
