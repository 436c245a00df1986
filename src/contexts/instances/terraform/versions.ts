/**
 * Pinned tool and provider versions. The generator writes these pins into every tenant folder and the workflow,
 * and the checker refuses a folder whose pins differ: providers-schema.json was transcribed for exactly these
 * versions, so bumping a pin means reviewing the schema (see README.md) and regenerating the golden files.
 */
export const TERRAFORM_VERSION = '1.14.6';

export interface ProviderPin {
  /** Registry address as written in `required_providers` (`namespace/type`). */
  readonly source: string;
  readonly version: string;
}

export const PROVIDERS = {
  aws: { source: 'hashicorp/aws', version: '6.11.0' },
  mysql: { source: 'petoju/mysql', version: '3.0.94' },
  random: { source: 'hashicorp/random', version: '3.9.0' },
} as const satisfies Record<string, ProviderPin>;

/** The fully qualified address `terraform providers schema -json` uses as a key. */
export const providerAddress = (source: string): string =>
  source.split('/').length === 2 ? `registry.terraform.io/${source}` : source;

/** Versions the checked-in schema was transcribed for, by fully qualified address. */
export const SCHEMA_VERSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(PROVIDERS).map((pin) => [providerAddress(pin.source), pin.version]),
);
