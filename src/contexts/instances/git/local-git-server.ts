import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodeGitServer from 'node-git-server';

const run = promisify(execFile);

export interface LocalGitServer {
  /** The smart-HTTP URL of `<name>.git`. */
  url(name: string): string;
  /** The bare repository's folder on disk, for the system git. */
  path(name: string): string;
  /** A new bare repository whose HEAD is `main`. */
  createRepository(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface LocalGitServerOptions {
  /** Folder holding the bare repositories. */
  root: string;
  /** When given, info/refs requests must carry exactly this Authorization header. */
  authorization?: string;
}

/**
 * The real git server of tests, benchmarks and the local runtime: node-git-server on 127.0.0.1 (a free port)
 * over the system git's upload-pack and receive-pack, so pushes persist and concurrent ones are refused as
 * GitHub refuses them.
 */
export async function startLocalGitServer({
  root,
  authorization,
}: LocalGitServerOptions): Promise<LocalGitServer> {
  const server = new nodeGitServer.Git(root, {
    autoCreate: false,
    ...(authorization === undefined
      ? {}
      : {
          authenticate: ({ headers }, next) =>
            next(headers.authorization === authorization ? undefined : new Error('denied')),
        }),
  });
  await new Promise<void>((resolve) => server.listen(0, { type: 'http' }, () => resolve()));
  const address = server.server?.address();
  if (address === null || address === undefined || typeof address === 'string') {
    throw new Error('the git server is not listening on a TCP port');
  }
  const { port } = address;
  const path = (name: string) => join(root, `${name}.git`);
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    path,
    async createRepository(name) {
      await mkdir(root, { recursive: true });
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', path(name)]);
      return path(name);
    },
    async stop() {
      await server.close();
    },
  };
}
