import type { BoundedContext } from '#src/platform/context.js';
import { planRoutes } from './api/plan.routes.js';
import { plans } from './index.js';

/** What plans registers: its model (index.ts) and its one function (src/contexts/index.ts lists it). */
export const plansRegistration: BoundedContext = {
  ...plans,
  functions: [
    {
      name: 'plansApi',
      handler: 'src/contexts/plans/handlers/plans-api.handler',
      description: 'The plans catalogue (public)',
      routes: planRoutes,
      permissions: [],
    },
  ],
};
