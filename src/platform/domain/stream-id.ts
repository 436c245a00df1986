import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * The id part of a stream id: what the event store's rule `^[a-z][a-z0-9]*(-[A-Za-z0-9_.:]+)+$` allows after
 * `<category>-` — no leading, trailing or doubled `-`. Route schemas derive their ids from this, so an id a
 * route accepts always makes a stream id the store accepts (a 4xx at the edge, never a 500 from the store).
 */
const ENTITY_ID = /^[A-Za-z0-9_.:]+(?:-[A-Za-z0-9_.:]+)*$/;
const CATEGORY = /^[a-z][a-z0-9]*$/;

export interface StreamCategory<Category extends string> {
  readonly category: Category;
  /** The id a route takes, as a zod schema (at most `maxLength` characters). */
  readonly idSchema: z.ZodString;
  /** `tenant-01J...` for `01J...`; a ValidationError (400, field `id`) for an id no stream can have. */
  id(entityId: string): string;
  /** The entity id of one of this category's streams; a RangeError for any other stream. */
  parse(streamId: string): string;
  owns(streamId: string): boolean;
}

/** Stream ids of one aggregate, built and parsed in one place instead of `'tenant-' + id` by hand. */
export function streamCategory<const Category extends string>(
  category: Category,
  options: { maxLength?: number; field?: string } = {},
): StreamCategory<Category> {
  if (!CATEGORY.test(category)) throw new RangeError(`invalid stream category "${category}"`);
  const { maxLength = 64, field = 'id' } = options;
  const prefix = `${category}-`;
  const idSchema = z
    .string()
    .max(maxLength)
    .regex(ENTITY_ID, `must be 1-${maxLength} letters, digits, _ . : or single inner hyphens`);
  return {
    category,
    idSchema,
    id(entityId) {
      const parsed = idSchema.safeParse(entityId);
      if (!parsed.success) {
        throw new ValidationError(field, parsed.error.issues[0]?.message ?? 'invalid', {
          cause: parsed.error,
        });
      }
      return `${prefix}${entityId}`;
    },
    parse(streamId) {
      const entityId = streamId.slice(prefix.length);
      if (!streamId.startsWith(prefix) || !ENTITY_ID.test(entityId)) {
        throw new RangeError(`${streamId} is not a ${category} stream`);
      }
      return entityId;
    },
    owns: (streamId) => streamId.startsWith(prefix),
  };
}
