import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  classifyTransactionFailure,
  isConditionFailure,
  rethrowTransient,
} from '#src/platform/aws/dynamodb.errors.js';
import {
  READ_ROUNDS,
  type Row,
  type RowChange,
  type RowKey,
  rowId,
} from '#src/platform/domain/projection.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import {
  type ApplyOutcome,
  type ProjectionTarget,
  type ProjectionWriter,
  StreamParkedError,
} from './ports.js';

export const checkpointKey = (streamId: string): RowKey => ({
  PK: `$checkpoint#${streamId}`,
  SK: '$checkpoint',
});

interface CheckpointItem extends RowKey {
  version: number;
  parkedFrom?: number;
}

const MAX_RACES = 8;
const CACHE_STREAMS = 5_000;

/** What this writer last saw of a stream: its checkpoint and the rows it read or wrote (null: known absent). */
interface View {
  version: number;
  rows: Map<string, Row | null>;
}

/**
 * The shared writer: reads the rows an event needs plus the stream's checkpoint (one consistent BatchGet),
 * lets the pure projection compute the changes, and writes them with the new checkpoint in one transaction
 * conditioned on the old one. A duplicate changes nothing; an event beyond checkpoint + 1 first catches the
 * stream up from the event store, so nothing is ever skipped.
 */
export class DynamoProjectionWriter implements ProjectionWriter {
  /**
   * Per stream, the view left by this writer's last read or write: the next event of the stream then needs no
   * read. Safe because every write is conditioned on the checkpoint it assumes; a stale view only costs a retry.
   */
  private readonly views = new Map<string, View>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly events: Pick<EventStore, 'readStream'>,
  ) {}

  async apply(target: ProjectionTarget, event: EventEnvelope): Promise<ApplyOutcome> {
    const viewKey = `${target.tableName}\u0000${event.streamId}`;
    for (let race = 0; race < MAX_RACES; race++) {
      const cached = this.views.get(viewKey);
      const { checkpoint, rows } = this.usable(cached, target, event) ?? (await this.read(target, event));
      if (checkpoint.version >= event.version) return 'duplicate';
      if (checkpoint.parkedFrom !== undefined)
        throw new StreamParkedError(event.streamId, checkpoint.parkedFrom);
      if (checkpoint.version < event.version - 1) {
        await this.catchUp(target, event.streamId, checkpoint.version, event.version);
        continue;
      }
      const known = new Map(rows);
      const changes = target.projection.apply(present(known), event);
      if (await this.write(target, event, checkpoint.version, changes)) {
        this.remember(viewKey, { version: event.version, rows: afterChanges(known, changes) });
        return 'applied';
      }
      this.views.delete(viewKey);
    }
    throw new Error(
      `${target.projection.name}: gave up applying ${event.streamId}@${event.version} after ${MAX_RACES} races`,
    );
  }

  async checkpoint(
    target: ProjectionTarget,
    streamId: string,
  ): Promise<{ version: number; parkedFrom?: number }> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: target.tableName, Key: checkpointKey(streamId), ConsistentRead: true }),
    );
    const item = Item as CheckpointItem | undefined;
    return item?.parkedFrom === undefined
      ? { version: item?.version ?? 0 }
      : { version: item.version, parkedFrom: item.parkedFrom };
  }

  async unpark(target: ProjectionTarget, streamId: string): Promise<void> {
    // Conditioned: an update would otherwise create a checkpoint without a version for an unmarked stream.
    await this.client
      .send(
        new UpdateCommand({
          TableName: target.tableName,
          Key: checkpointKey(streamId),
          UpdateExpression: 'REMOVE parkedFrom',
          ConditionExpression: 'attribute_exists(PK)',
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /** The cached view, when it is at the previous version and knows every row the event reads. */
  private usable(view: View | undefined, target: ProjectionTarget, event: EventEnvelope) {
    // versions only grow: a view at or past the event proves it applied (a duplicate)
    if (view && view.version >= event.version)
      return { checkpoint: { version: view.version, parkedFrom: undefined }, rows: view.rows };
    if (!view || view.version !== event.version - 1) return undefined;
    if (missingKeys(target, event, view.rows).length > 0) return undefined;
    return { checkpoint: { version: view.version, parkedFrom: undefined }, rows: view.rows };
  }

  private remember(key: string, view: View): void {
    this.views.delete(key);
    this.views.set(key, view);
    if (this.views.size > CACHE_STREAMS) this.views.delete(this.views.keys().next().value as string);
  }

  /** Applies the events between the checkpoint and `before` from the event store, in order. */
  private async catchUp(
    target: ProjectionTarget,
    streamId: string,
    from: number,
    before: number,
  ): Promise<void> {
    const missing = (await this.events.readStream(streamId, from + 1)).filter((e) => e.version < before);
    for (const event of missing) await this.apply(target, event);
  }

  /**
   * The checkpoint and every row the event reads: a consistent BatchGet, and another for rows the projection
   * names only once it has seen the first ones (Projection.reads), up to READ_ROUNDS in all.
   */
  private async read(target: ProjectionTarget, event: EventEnvelope) {
    const found = new Map<string, Row | null>();
    let keys = dedupe([checkpointKey(event.streamId), ...target.projection.reads(event)]);
    for (let round = 0; round < READ_ROUNDS && keys.length > 0; round++) {
      await this.batchGet(target.tableName, keys, found);
      keys = missingKeys(target, event, found);
    }
    const cp = found.get(rowId(checkpointKey(event.streamId))) as CheckpointItem | null;
    found.delete(rowId(checkpointKey(event.streamId)));
    const checkpoint = { version: cp?.version ?? 0, parkedFrom: cp?.parkedFrom };
    return { checkpoint, rows: found };
  }

  private async batchGet(tableName: string, keys: RowKey[], found: Map<string, Row | null>): Promise<void> {
    for (const key of keys) found.set(rowId(key), null);
    let pending: RowKey[] = keys;
    while (pending.length > 0) {
      const out = await this.client
        .send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }))
        .catch(rethrowTransient);
      for (const item of out.Responses?.[tableName] ?? []) found.set(rowId(item as Row), item as Row);
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as RowKey[];
    }
  }

  /** False when another writer moved the checkpoint first (the caller reads again). */
  private async write(
    target: ProjectionTarget,
    event: EventEnvelope,
    previous: number,
    changes: RowChange[],
  ): Promise<boolean> {
    const TableName = target.tableName;
    const checkpoint = {
      Put: {
        TableName,
        Item: { ...checkpointKey(event.streamId), version: event.version, streamId: event.streamId },
        // A stream parked at its first event leaves {version: 0} once unparked: that is "nothing applied" too.
        ConditionExpression:
          previous === 0
            ? 'attribute_not_exists(PK) OR (version = :previous AND attribute_not_exists(parkedFrom))'
            : 'version = :previous AND attribute_not_exists(parkedFrom)',
        ExpressionAttributeValues: { ':previous': previous },
      },
    };
    const rowOps = lastPerKey(changes).map((change) =>
      'put' in change
        ? { Put: { TableName, Item: change.put } }
        : { Delete: { TableName, Key: change.delete } },
    );
    if (rowOps.length > 99) {
      throw new Error(
        `${target.projection.name}: ${event.type} changes ${rowOps.length} rows, over the 99 one transaction takes`,
      );
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [checkpoint, ...rowOps] }));
      return true;
    } catch (error) {
      const failed = classifyTransactionFailure(error);
      if (failed?.some((f) => f.index === 0)) return false;
      return rethrowTransient(error);
    }
  }
}

/** Rows the event reads, given those known (read or known absent), that are not known yet. */
function missingKeys(
  target: ProjectionTarget,
  event: EventEnvelope,
  known: Map<string, Row | null>,
): RowKey[] {
  const first = target.projection.reads(event);
  const more = target.projection.reads(event, present(known));
  return dedupe([...first, ...more]).filter((key) => !known.has(rowId(key)));
}

function afterChanges(rows: Map<string, Row | null>, changes: RowChange[]): Map<string, Row | null> {
  for (const change of changes) {
    if ('put' in change) rows.set(rowId(change.put), change.put);
    else rows.set(rowId(change.delete), null);
  }
  return rows;
}

/** Rows that exist (the projection does not see the known-absent ones). */
function present(rows: Map<string, Row | null>): ReadonlyMap<string, Row> {
  return new Map([...rows].filter((entry): entry is [string, Row] => entry[1] !== null));
}

function dedupe(keys: RowKey[]): RowKey[] {
  return [...new Map(keys.map((key) => [rowId(key), { PK: key.PK, SK: key.SK }])).values()];
}

function lastPerKey(changes: RowChange[]): RowChange[] {
  const byKey = new Map<string, RowChange>();
  for (const change of changes) byKey.set(rowId('put' in change ? change.put : change.delete), change);
  return [...byKey.values()];
}
