import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { dataSubjectRoutes } from '#src/platform/privacy/data-subjects/data-subject.routes.js';
import { privacyApiDependencies } from '#src/platform/privacy/data-subjects/privacy-wiring.js';
import { logger } from '#src/platform/wiring.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** The data-subject API (find, export, erase): src/platform/privacy/data-subjects/data-subject.routes.ts. */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(dataSubjectRoutes, {
    verifier: () => httpWiring().verifier,
    logger: logger(),
    routeDeps: privacyApiDependencies,
  });
  return built(event);
};
