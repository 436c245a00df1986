import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { projectionNames, projections, projectionVersion } from '#src/contexts/projections.js';
import type { ProjectionTarget } from './ports.js';

/** building: only the rebuild writes it; catching_up/ready: the dispatcher feeds it too, readers do not use it. */
export type ShadowState = 'building' | 'catching_up' | 'ready';

export interface RegistryEntry {
  name: string;
  active: number;
  shadow?: { version: number; state: ShadowState; startedAt: string };
  /** versions whose tables are kept (the previous active one until `projections drop`) */
  retained: number[];
}

/**
 * Which version of each projection is live. One item per projection in the registry table; readers and the
 * dispatcher cache it briefly (ttlMs), so a switch takes effect everywhere within that time.
 */
export class ProjectionRegistry {
  private cache = new Map<string, { entry: RegistryEntry; at: number }>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly resolveTable: (logicalId: string) => string,
    private readonly ttlMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  async entry(name: string, fresh = false): Promise<RegistryEntry> {
    const cached = this.cache.get(name);
    if (!fresh && cached && this.now() - cached.at < this.ttlMs) return cached.entry;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: name, sk: 'REGISTRY' }, ConsistentRead: true }),
    );
    const first = Math.min(...projections.filter((p) => p.name === name).map((p) => p.version));
    const entry = (Item?.entry as RegistryEntry | undefined) ?? { name, active: first, retained: [] };
    this.cache.set(name, { entry, at: this.now() });
    return entry;
  }

  async save(entry: RegistryEntry): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: entry.name, sk: 'REGISTRY', entry } }),
    );
    this.cache.set(entry.name, { entry, at: this.now() });
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
    const projection = projectionVersion(name, version);
    return { projection, tableName: this.resolveTable(projection.table) };
  }

  /** What readers use. */
  async active(name: string): Promise<ProjectionTarget> {
    return this.target(name, (await this.entry(name)).active);
  }

  /** What the dispatcher feeds: every active version, and shadows that are catching up or ready. */
  async targets(): Promise<ProjectionTarget[]> {
    const entries = await Promise.all(projectionNames().map((name) => this.entry(name)));
    return entries.flatMap((entry) => {
      const live = [this.target(entry.name, entry.active)];
      const shadow = entry.shadow;
      if (shadow && shadow.state !== 'building') live.push(this.target(entry.name, shadow.version));
      return live;
    });
  }
}
