import type { BoundedContext } from '#src/platform/context.js';
import { instancesRegistration } from './instances/registration.js';
import { plansRegistration } from './plans/registration.js';
import { tenantsRegistration } from './tenants/registration.js';

/**
 * The one list of bounded contexts, each with everything it registers. The routes, the OpenAPI document, the CLI's
 * deciders and everything serverless.yml deploys are built from it: adding a context is one line here, and one in
 * catalogue.ts's list of their models (contexts.unit.test.ts fails until both agree). Only the composition roots
 * that deploy, serve or operate every context import it: a Lambda function's bundle holds its own context's
 * registration at most, and every context's model (events, aggregates, projections) through catalogue.ts.
 */
export const contexts: readonly BoundedContext[] = [
  tenantsRegistration,
  plansRegistration,
  instancesRegistration,
];
