// Node's own import(), for the local runtime's handler modules. Under vitest every project file is run by Vite's
// module runner (its import() is Vite's: no Node module hooks, one instance per file for the whole process);
// vitest.config.ts leaves this file to Node, so the modules it imports get Node's loader with tsx's and the
// function-scope hooks (function-scope.ts). Under tsx (npm start, the benchmarks) it is an ordinary module.

/** @param {string} url @returns {Promise<Record<string, unknown>>} */
export const nativeImport = (url) => import(url);
