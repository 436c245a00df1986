import type { z } from 'zod';
import { InvalidEventError } from './errors.js';
import { type PersonalField, type PersonalFieldSpec, personalFieldsOf } from './personal-fields.js';

export type BoundedContext =
  | 'tenant-management'
  | 'site-management'
  | 'instance-management'
  | 'payment'
  /** the platform's data-subject streams and the erasure marker any stream may hold */
  | 'privacy';

/** One event type: a zod schema per schemaVersion (index 0 is v1) and an upcaster between each pair. */
export interface EventDefinition<Schema extends z.ZodType = z.ZodType> {
  type: string;
  context: BoundedContext;
  /** Schemas of every version that was ever written, oldest first; the last one is current. */
  schemas: readonly [...z.ZodType[], Schema];
  /** upcasters[i] turns the data of version i+1 into the data of version i+2. */
  upcasters: readonly ((data: never) => unknown)[];
  description: string;
}

export interface CurrentEvent {
  schemaVersion: number;
  data: unknown;
}

export class EventCatalogue {
  private readonly byType: ReadonlyMap<string, EventDefinition>;
  /** Per type, the personal fields of each schema version (index 0 is v1), found once, when it is built. */
  private readonly personal: ReadonlyMap<string, readonly (readonly PersonalFieldSpec[])[]>;

  constructor(definitions: readonly EventDefinition[]) {
    const byType = new Map<string, EventDefinition>();
    for (const definition of definitions) {
      if (byType.has(definition.type)) throw new Error(`event type ${definition.type} is defined twice`);
      if (definition.upcasters.length !== definition.schemas.length - 1) {
        throw new Error(
          `${definition.type}: ${definition.schemas.length} schemas need ${definition.schemas.length - 1} upcasters`,
        );
      }
      byType.set(definition.type, definition);
    }
    this.byType = byType;
    this.personal = new Map(
      [...byType.values()].map((d) => [
        d.type,
        d.schemas.map((schema, i) => personalFieldsOf(schema, `${d.type} v${i + 1}`)),
      ]),
    );
  }

  /**
   * Which fields of this type and schema version hold personal data, and whose (from `personal(...)` marks in
   * the schemas). The event store encrypts them; docs/events.md lists them.
   */
  personalFields(type: string, schemaVersion: number): readonly PersonalField[] {
    return this.personalSpecs(type, schemaVersion).map(({ path, subject, identifiedBy, placeholder }) => ({
      path,
      subject,
      identifiedBy,
      placeholder,
    }));
  }

  /** The same fields with what the store needs to find their values; empty for unknown types and versions. */
  personalSpecs(type: string, schemaVersion: number): readonly PersonalFieldSpec[] {
    return this.personal.get(type)?.[schemaVersion - 1] ?? [];
  }

  get definitions(): EventDefinition[] {
    return [...this.byType.values()];
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  definition(type: string): EventDefinition {
    const definition = this.byType.get(type);
    if (!definition) throw new InvalidEventError(type, 0, 'unknown event type');
    return definition;
  }

  currentVersion(type: string): number {
    return this.definition(type).schemas.length;
  }

  /** Checks data about to be written against the current schema and returns the parsed data. */
  parseCurrent(type: string, data: unknown): CurrentEvent {
    const schemaVersion = this.currentVersion(type);
    return { schemaVersion, data: this.parse(type, schemaVersion, data) };
  }

  /** Turns stored data of any version into the current version's shape. */
  upcast(type: string, schemaVersion: number, data: unknown): CurrentEvent {
    const definition = this.definition(type);
    const current = definition.schemas.length;
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current) {
      throw new InvalidEventError(type, schemaVersion, `schemaVersion must be 1..${current}`);
    }
    // Current-version data was validated when it was written: only older versions are parsed and upcast.
    if (schemaVersion === current) return { schemaVersion, data };
    let value = this.parse(type, schemaVersion, data);
    for (let version = schemaVersion; version < current; version++) {
      const upcaster = definition.upcasters[version - 1] as (data: unknown) => unknown;
      value = this.parse(type, version + 1, upcaster(value));
    }
    return { schemaVersion: current, data: value };
  }

  private parse(type: string, schemaVersion: number, data: unknown): unknown {
    const schema = this.definition(type).schemas[schemaVersion - 1] as z.ZodType;
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new InvalidEventError(type, schemaVersion, `${where}${issue?.message ?? 'invalid'}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
}
