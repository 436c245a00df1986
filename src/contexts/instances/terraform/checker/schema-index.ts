import { providerAddress } from '../versions.js';
import { BUILTIN_TERRAFORM, blockType, type ProvidersSchema, type SchemaBlock } from './schema.js';
import type { TfType } from './types.js';

/**
 * Finds the schema of a resource or data source type. The provider is the type's prefix (`aws_lb` -> `aws`),
 * mapped to its source through `required_providers` (the module's own declarations).
 */
export class SchemaIndex {
  private readonly types = new Map<string, TfType>();

  constructor(
    private readonly schema: ProvidersSchema,
    private readonly sources: ReadonlyMap<string, string>,
  ) {}

  providerOf(type: string): string {
    return type.split('_')[0] ?? type;
  }

  /** The provider's fully qualified address for a local name, or undefined if the module never declared it. */
  address(localName: string): string | undefined {
    if (localName === 'terraform') return BUILTIN_TERRAFORM;
    const source = this.sources.get(localName);
    return source === undefined ? undefined : providerAddress(source);
  }

  providerBlock(localName: string): SchemaBlock | undefined {
    const address = this.address(localName);
    return address ? this.schema.provider_schemas[address]?.provider?.block : undefined;
  }

  block(mode: 'resource' | 'data', type: string): SchemaBlock | undefined {
    const address = this.address(this.providerOf(type));
    const provider = address ? this.schema.provider_schemas[address] : undefined;
    const entries = mode === 'resource' ? provider?.resource_schemas : provider?.data_source_schemas;
    return entries?.[type]?.block;
  }

  objectType(mode: 'resource' | 'data', type: string): TfType {
    const key = `${mode}.${type}`;
    const cached = this.types.get(key);
    if (cached) return cached;
    const block = this.block(mode, type);
    const computed = block ? blockType(block) : { kind: 'dynamic' as const };
    this.types.set(key, computed);
    return computed;
  }
}
