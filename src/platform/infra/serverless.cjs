// serverless.yml's bridge to the definitions in code: `${file(./src/platform/infra/serverless.cjs):functions}`
// and `...:resources`. Serverless Framework v3 loads this file with require() and calls the exported function
// with its variable resolver; tsx's require hook loads the TypeScript definitions (src/platform/infra/app.ts),
// so functions, routes, tables, queues, rules and IAM roles are declared once, in code.
'use strict';

const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const { serverlessDefinition } = tsxRequire('./app.ts', __filename);
  return serverlessDefinition(stage);
};
