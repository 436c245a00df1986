import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalWiring } from './wiring.js';

export type Invoke = (event: unknown) => Promise<unknown>;

/** Loads each function's handler module once and calls it as Lambda would, with a minimal context. */
export class LambdaHost {
  private readonly handlers = new Map<
    string,
    Promise<(event: unknown, context: unknown) => Promise<unknown>>
  >();

  constructor(
    private readonly root: string,
    private readonly wiring: LocalWiring,
  ) {}

  invoker(name: string): Invoke {
    const fn = this.wiring.functions.find((f) => f.name === name);
    if (!fn) throw new Error(`no function ${name} in serverless.yml`);
    return async (event) => {
      let handler = this.handlers.get(name);
      if (!handler) {
        handler = import(pathToFileURL(join(this.root, fn.module)).href).then((module) => {
          const exported = module[fn.exportName];
          if (typeof exported !== 'function')
            throw new Error(`${fn.module} exports no function ${fn.exportName}`);
          return exported;
        });
        this.handlers.set(name, handler);
      }
      const context = {
        functionName: name,
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => 30_000,
        callbackWaitsForEmptyEventLoop: false,
      };
      return (await handler)(event, context);
    };
  }
}
