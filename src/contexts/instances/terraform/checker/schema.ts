import { z } from 'zod';
import schemaJson from '../providers-schema.json' with { type: 'json' };
import { fromSchemaType, type TfType } from './types.js';

/** The shape of `terraform providers schema -json` (only the parts the checker reads). */
const Attribute = z.object({
  type: z.unknown(),
  required: z.boolean().optional(),
  optional: z.boolean().optional(),
  computed: z.boolean().optional(),
  sensitive: z.boolean().optional(),
});
export type SchemaAttribute = z.infer<typeof Attribute>;

export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, SchemaAttribute>>;
  readonly block_types?: Readonly<Record<string, SchemaBlockType>>;
}
export interface SchemaBlockType {
  readonly nesting_mode: 'single' | 'list' | 'set' | 'map' | 'group';
  readonly block: SchemaBlock;
  readonly min_items?: number | undefined;
  readonly max_items?: number | undefined;
}
const Block: z.ZodType<SchemaBlock> = z.lazy(() =>
  z.object({
    attributes: z.record(z.string(), Attribute).optional(),
    block_types: z
      .record(
        z.string(),
        z.object({
          nesting_mode: z.enum(['single', 'list', 'set', 'map', 'group']),
          block: Block,
          min_items: z.number().optional(),
          max_items: z.number().optional(),
        }),
      )
      .optional(),
  }),
);
const Entry = z.object({ version: z.number(), block: Block });
const ProvidersSchema = z.object({
  format_version: z.string(),
  provider_schemas: z.record(
    z.string(),
    z.object({
      provider: Entry.optional(),
      resource_schemas: z.record(z.string(), Entry).optional(),
      data_source_schemas: z.record(z.string(), Entry).optional(),
    }),
  ),
});
export type ProvidersSchema = z.infer<typeof ProvidersSchema>;

/** The checked-in schema, validated once at load (an edge like any other). */
export const PROVIDERS_SCHEMA: ProvidersSchema = ProvidersSchema.parse(schemaJson);

/** Terraform's built-in provider, which serves `terraform_remote_state`. */
export const BUILTIN_TERRAFORM = 'terraform.io/builtin/terraform';

/** The object type of a block: its attributes plus its nested blocks (lists/sets of objects). */
export function blockType(block: SchemaBlock): TfType {
  const attrs: Record<string, TfType> = {};
  const sensitive = new Set<string>();
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    attrs[name] = fromSchemaType(attribute.type);
    if (attribute.sensitive) sensitive.add(name);
  }
  for (const [name, nested] of Object.entries(block.block_types ?? {})) {
    const inner = blockType(nested.block);
    attrs[name] =
      nested.nesting_mode === 'single' || nested.nesting_mode === 'group'
        ? inner
        : { kind: nested.nesting_mode === 'map' ? 'map' : nested.nesting_mode, elem: inner };
  }
  return { kind: 'object', attrs, sensitive };
}
