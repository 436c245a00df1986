import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '#src/platform/aws/dynamodb.errors.js';
import type { Projection } from '#src/platform/domain/projection.js';
import type { ProjectionTarget } from './ports.js';

/** building: only the rebuild writes it; catching_up/ready: the dispatcher feeds it too, readers do not use it. */
export type ShadowState = 'building' | 'catching_up' | 'ready';

export interface RegistryEntry {
  name: string;
  active: number;
  shadow?: { version: number; state: ShadowState; startedAt: string };
  /** versions whose tables are kept (the previous active one until `projections drop`) */
  retained: number[];
  /** Bumped by every write; a write is conditioned on the revision it read (absent: never written). */
  revision?: number;
}

/** Another command (a rebuild, switch or drop) changed the entry since it was read: nothing was written. */
export class RegistryConflictError extends Error {
  override readonly name = 'RegistryConflictError';
  constructor(readonly projection: string) {
    super(
      `the registry entry of ${projection} changed meanwhile (another rebuild, switch or drop): nothing was written; run projections status and try again`,
    );
  }
}

/**
 * Which version of each projection is live. One item per projection in the registry table; readers and the
 * dispatcher cache it briefly (ttlMs), so a switch takes effect everywhere within that time. Every write is
 * conditioned on the revision it was computed from, so a rebuild racing with `projections drop` cannot put a
 * dropped shadow back.
 */
export class ProjectionRegistry {
  private cache = new Map<string, { entry: RegistryEntry; at: number }>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly resolveTable: (logicalId: string) => string,
    /** Every projection version the code knows (src/contexts/projections.ts, given by the composition root). */
    private readonly projections: readonly Projection[],
    private readonly ttlMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  async entry(name: string, fresh = false): Promise<RegistryEntry> {
    const cached = this.cache.get(name);
    if (!fresh && cached && this.now() - cached.at < this.ttlMs) return cached.entry;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: name, sk: 'REGISTRY' }, ConsistentRead: true }),
    );
    const first = Math.min(...this.projections.filter((p) => p.name === name).map((p) => p.version));
    const stored = Item?.entry as RegistryEntry | undefined;
    const entry = stored
      ? { ...stored, ...(typeof Item?.revision === 'number' ? { revision: Item.revision } : {}) }
      : { name, active: first, retained: [] };
    this.cache.set(name, { entry, at: this.now() });
    return entry;
  }

  /**
   * Writes `next` if the stored entry is still at `next.revision` (the one it was computed from); returns what
   * was written, with its new revision. Throws RegistryConflictError otherwise.
   */
  async save(next: RegistryEntry): Promise<RegistryEntry> {
    const { revision, ...entry } = next;
    const written = { ...entry, revision: (revision ?? 0) + 1 };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: next.name, sk: 'REGISTRY', entry, revision: written.revision },
          ...(revision === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(revision)' }
            : { ConditionExpression: 'revision = :read', ExpressionAttributeValues: { ':read': revision } }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        this.cache.delete(next.name);
        throw new RegistryConflictError(next.name);
      }
      throw error;
    }
    this.cache.set(next.name, { entry: written, at: this.now() });
    return written;
  }

  /** Makes a ready shadow the version readers use; the previous one is retained until dropped. */
  async switchTo(name: string, version: number): Promise<{ previous: number; changed: boolean }> {
    const entry = await this.entry(name, true);
    if (entry.active === version) return { previous: version, changed: false };
    if (entry.shadow?.version !== version || entry.shadow.state !== 'ready')
      throw new RangeError(
        `${name} v${version} is not a ready rebuild (run projections rebuild ${name} ${version})`,
      );
    await this.save({
      name,
      active: version,
      retained: [...new Set([...entry.retained, entry.active])].filter((v) => v !== version),
      ...(entry.revision === undefined ? {} : { revision: entry.revision }),
    });
    return { previous: entry.active, changed: true };
  }

  /** Forgets a retained version, or stops a rebuild of it (the shadow). */
  async drop(name: string, version: number): Promise<void> {
    const entry = await this.entry(name, true);
    if (entry.active === version) throw new RangeError(`${name} v${version} is active: switch first`);
    const { shadow, ...rest } = entry;
    await this.save({
      ...rest,
      retained: entry.retained.filter((v) => v !== version),
      ...(shadow && shadow.version !== version ? { shadow } : {}),
    });
  }

  /** The dispatcher's last word per target: how far behind the event it applied last was. */
  async heartbeat(target: ProjectionTarget, lastEventAt: string, lagMs: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: target.projection.name,
          sk: `HEARTBEAT#v${target.projection.version}`,
          lastEventAt,
          lagMs,
          at: new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  async lastHeartbeat(
    name: string,
    version: number,
  ): Promise<{ lastEventAt: string; lagMs: number; at: string } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: name, sk: `HEARTBEAT#v${version}` } }),
    );
    return Item as { lastEventAt: string; lagMs: number; at: string } | undefined;
  }

  target(name: string, version: number): ProjectionTarget {
    const projection = this.projection(name, version);
    return { projection, tableName: this.resolveTable(projection.table) };
  }

  private projection(name: string, version: number): Projection {
    const found = this.projections.find((p) => p.name === name && p.version === version);
    if (!found) {
      const known = this.projections.map((p) => `${p.name} v${p.version}`).join(', ');
      throw new RangeError(`unknown projection ${name} v${version} (known: ${known})`);
    }
    return found;
  }

  /** What readers use. */
  async active(name: string): Promise<ProjectionTarget> {
    return this.target(name, (await this.entry(name)).active);
  }

  /** What the dispatcher feeds: every active version, and shadows that are catching up or ready. */
  async targets(): Promise<ProjectionTarget[]> {
    const names = [...new Set(this.projections.map((p) => p.name))];
    const entries = await Promise.all(names.map((name) => this.entry(name)));
    return entries.flatMap((entry) => {
      const live = [this.target(entry.name, entry.active)];
      const shadow = entry.shadow;
      if (shadow && shadow.state !== 'building') live.push(this.target(entry.name, shadow.version));
      return live;
    });
  }
}
