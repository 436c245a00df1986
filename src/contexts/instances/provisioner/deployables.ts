import type { Deployables } from '#src/platform/infra/definitions.js';

/** The provisioner's queues, rules and functions (README.md, "The provisioner's contract"). */
export const provisionerDeployables: Required<Pick<Deployables, 'queues' | 'rules' | 'functions'>> = {
  queues: {},
  rules: {},
  functions: [],
};
