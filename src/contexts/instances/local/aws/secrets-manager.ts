import { randomBytes, randomUUID } from 'node:crypto';
import { AwsApiError, epochSeconds, type Operation, str } from './aws-json-server.js';

interface Secret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  createdAt: number;
  deletedAt?: number;
  tags: unknown[];
  description?: string;
}

/**
 * Secrets Manager for what the tenants' Terraform creates and the platform reads: CreateSecret, PutSecretValue,
 * GetSecretValue, DescribeSecret, DeleteSecret. ARNs end in `-` and six random characters, as AWS's do, so code
 * that builds an ARN from a name fails here as it would there; a secret is found by name or by its full ARN.
 */
export class LocalSecretsManager {
  private readonly secrets = new Map<string, Secret>();

  constructor(private readonly options: { region: string; account: string }) {}

  readonly operations: Record<string, Operation> = {
    // The ARN is in the creating caller's account (a workload account's Terraform makes its tenants' secrets
    // there); secrets stay one store by name (reads by name are not scoped by account locally).
    CreateSecret: (input, caller) => {
      const name = str(input, 'Name');
      const existing = this.secrets.get(name);
      if (existing?.deletedAt !== undefined)
        throw new AwsApiError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      if (existing)
        throw new AwsApiError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const secret: Secret = {
        arn: `arn:aws:secretsmanager:${this.options.region}:${caller.account}:secret:${name}-${suffix}`,
        name,
        value: str(input, 'SecretString', true) ?? '',
        versionId: randomUUID(),
        createdAt: Date.now(),
        tags: (input.Tags as unknown[] | undefined) ?? [],
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      };
      this.secrets.set(name, secret);
      return {
        ARN: secret.arn,
        Name: name,
        ...(input.SecretString === undefined ? {} : { VersionId: secret.versionId }),
      };
    },
    PutSecretValue: (input) => {
      const secret = this.live(input);
      secret.value = str(input, 'SecretString');
      secret.versionId = randomUUID();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    GetSecretValue: (input) => {
      const secret = this.live(input);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: epochSeconds(secret.createdAt),
      };
    },
    DescribeSecret: (input) => {
      const secret = this.find(input);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Tags: secret.tags,
        CreatedDate: epochSeconds(secret.createdAt),
        ...(secret.description === undefined ? {} : { Description: secret.description }),
        ...(secret.deletedAt === undefined ? {} : { DeletedDate: epochSeconds(secret.deletedAt) }),
      };
    },
    DeleteSecret: (input) => {
      const secret = this.find(input);
      // Without recovery the secret is gone at once; with a window it stays, scheduled for deletion.
      if (input.ForceDeleteWithoutRecovery === true) this.secrets.delete(secret.name);
      else secret.deletedAt = Date.now();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(Date.now()) };
    },
  };

  private find(input: Record<string, unknown>): Secret {
    const id = str(input, 'SecretId');
    const secret = id.startsWith('arn:')
      ? [...this.secrets.values()].find((s) => s.arn === id)
      : this.secrets.get(id);
    if (!secret)
      throw new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private live(input: Record<string, unknown>): Secret {
    const secret = this.find(input);
    if (secret.deletedAt !== undefined)
      throw new AwsApiError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    return secret;
  }
}
