import type { BoundedContext } from '#src/platform/context.js';
import { instances } from './instances/index.js';
import { plans } from './plans/index.js';
import { tenants } from './tenants/index.js';

/**
 * The one list of bounded contexts. The event catalogue, the projections, the CLI's deciders, the routes, the
 * OpenAPI document and everything serverless.yml deploys are built from it: adding a context is one line here.
 */
export const contexts: readonly BoundedContext[] = [tenants, plans, instances];
