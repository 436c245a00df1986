import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { InstanceEnvironment } from '../domain/instance.events.js';
import type { CredentialsProvider, GitHubCredentials } from './ports.js';

const Secret = z.string().min(16);
/**
 * `deployOutcomeSecrets` {dev, sit, prod}: each environment repository's own secret. The single
 * `deployOutcomeSecret` of before is still read, as the secret of every environment that has none of its own, so
 * that a stage keeps working while its operator migrates (docs/deployment.md); until then a workflow of one
 * environment can report for another, as before.
 */
const Credentials = z
  .object({
    token: z.string().min(1),
    webhookSecret: Secret,
    deployOutcomeSecrets: z.partialRecord(InstanceEnvironment, Secret).optional(),
    deployOutcomeSecret: Secret.optional(),
  })
  .refine((c) => Object.keys(c.deployOutcomeSecrets ?? {}).length > 0 || c.deployOutcomeSecret, {
    path: ['deployOutcomeSecrets'],
    message: 'no deploy-outcome secret for any environment',
  })
  .transform(({ token, webhookSecret, deployOutcomeSecrets, deployOutcomeSecret }) => {
    const legacy =
      deployOutcomeSecret === undefined
        ? []
        : InstanceEnvironment.options.map((e) => [e, deployOutcomeSecret]);
    return {
      token,
      webhookSecret,
      deployOutcomeSecrets: { ...Object.fromEntries(legacy), ...deployOutcomeSecrets },
    } satisfies GitHubCredentials;
  });

/** The secret's name: kept outside the stack (an operator puts the GitHub App's token there). */
export const githubSecretName = (stage: string): string => `bbws/${stage}/github`;

/**
 * The GitHub credentials from Secrets Manager, cached for `ttlMs` (a rotated token or webhook secret is read
 * within that time); a failed read is not cached. Concurrent callers share one read.
 */
export function secretsManagerCredentials(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
  options: { ttlMs?: number; now?: () => number } = {},
): CredentialsProvider {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; value: Promise<GitHubCredentials> } | undefined;
  return () => {
    if (cached && now() - cached.at < ttlMs) return cached.value;
    const value = read(client, secretId);
    const entry = { at: now(), value };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}

async function read(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<GitHubCredentials> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  let json: unknown;
  try {
    json = JSON.parse(SecretString ?? '');
  } catch (error) {
    throw new Error(`secret ${secretId} is not JSON`, { cause: error });
  }
  const parsed = Credentials.safeParse(json);
  if (!parsed.success)
    throw new Error(`secret ${secretId} lacks token/webhookSecret/deployOutcomeSecrets`, {
      cause: parsed.error,
    });
  return parsed.data;
}

/** Fixed credentials (tests, tools). */
export const inMemoryCredentials =
  (credentials: GitHubCredentials): CredentialsProvider =>
  async () =>
    credentials;
