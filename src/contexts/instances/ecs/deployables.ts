import type { Deployables } from '#src/platform/infra/definitions.js';

/** ECS control, the ECS state sync and the reactions to tenant events: their queues, rules and functions. */
export const ecsDeployables: Required<Pick<Deployables, 'queues' | 'rules' | 'functions'>> = {
  queues: {},
  rules: {},
  functions: [],
};
