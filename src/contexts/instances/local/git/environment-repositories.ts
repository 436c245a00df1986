import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tokenAuthorization } from '../../git/git-http.js';
import { type LocalGitServer, startLocalGitServer } from '../../git/local-git-server.js';
import {
  DEPLOY_TENANT_WORKFLOW_PATH,
  deployTenantWorkflow,
  type TerraformEnvironment,
} from '../../terraform/index.js';
import { commitFiles, fileAt, resolveRef } from './bare-repository.js';

export const WORKLOAD_ENVIRONMENTS: readonly TerraformEnvironment[] = ['dev', 'sit', 'prod'];

export interface EnvironmentRepository {
  environment: TerraformEnvironment;
  owner: string;
  name: string;
  /** Smart-HTTP URL (Basic `x-access-token:<token>`, as GitHub takes it). */
  url: string;
  bare: string;
}

export interface EnvironmentRepositories {
  server: LocalGitServer;
  repositories: Record<TerraformEnvironment, EnvironmentRepository>;
  stop(): Promise<void>;
}

const readme = (environment: string) =>
  `# BBWS ${environment} environment\n\nOne folder per tenant under \`tenants/\`, written by the BBWS control plane; ` +
  `\`${DEPLOY_TENANT_WORKFLOW_PATH}\` applies one.\n`;

/**
 * The environment repositories (one bare repository per workload environment) on a git server on 127.0.0.1,
 * kept under `root` across restarts. Each is seeded with a README and the deploy-tenant workflow; a workflow that
 * the generator has changed since is committed again, so the repositories always carry the current one.
 */
export async function startEnvironmentRepositories(options: {
  root: string;
  owner: string;
  token: string;
}): Promise<EnvironmentRepositories> {
  const server = await startLocalGitServer({
    root: options.root,
    authorization: tokenAuthorization(options.token).authorization,
  });
  try {
    const repositories = {} as Record<TerraformEnvironment, EnvironmentRepository>;
    for (const environment of WORKLOAD_ENVIRONMENTS) {
      const name = `bbws-environment-${environment}`;
      const bare = existsSync(server.path(name)) ? server.path(name) : await server.createRepository(name);
      await seed(bare, environment);
      repositories[environment] = { environment, owner: options.owner, name, url: server.url(name), bare };
    }
    return { server, repositories, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function seed(bare: string, environment: string): Promise<void> {
  const head = await resolveRef(bare, 'main');
  const workflow = deployTenantWorkflow();
  if (head && (await fileAt(bare, head, DEPLOY_TENANT_WORKFLOW_PATH)) === workflow) return;
  const files = {
    [DEPLOY_TENANT_WORKFLOW_PATH]: workflow,
    ...(head ? {} : { 'README.md': readme(environment) }),
  };
  await commitFiles(
    bare,
    'main',
    files,
    head ? 'Update the deploy-tenant workflow' : 'Environment repository',
  );
}

export const repositoriesRoot = (stateDir: string): string => join(stateDir, 'git');
