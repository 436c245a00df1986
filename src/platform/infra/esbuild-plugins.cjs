// esbuild plugins of the Lambda bundles: serverless.yml's `custom.esbuild.plugins` (serverless-esbuild loads this
// file with require()). docs/deployment.md, "Lambda bundles", says why each exists.
'use strict';

const { readFile } = require('node:fs/promises');

const NAMED_Z_IMPORT = /^import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/gm;

/**
 * zod 4's `z` is a namespace object. Imported by name (`import { z } from 'zod'`), esbuild must build that whole
 * object, so every bundle holds all of zod, every locale included: about 450 KB minified. Imported as a namespace
 * (`import * as z from 'zod'`, the form zod's documentation uses), `z.object(...)` is a plain reference and the
 * bundle holds only what is used: about 100 KB. Both forms give the same bindings; this rewrites the first into
 * the second in the project's own sources while bundling, so no source file has to remember it.
 */
const zodNamespaceImport = {
  name: 'zod-namespace-import',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const rewritten = source.replace(NAMED_Z_IMPORT, "import * as z from 'zod'");
      return rewritten === source ? undefined : { contents: rewritten, loader: 'ts' };
    });
  },
};

module.exports = [zodNamespaceImport];
