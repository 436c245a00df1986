import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projections } from '#src/contexts/projections.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { failureWindows, reapplyWindow } from '#src/platform/projection-runtime/recover.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { type Drill, flaky, runOutage, STAGE, startDrill } from './drill.js';
import type { Fault } from './fault-proxy.js';
import { DRILL_TIMEOUT_MS, REVERTED, scaled, settingsProblems } from './settings.js';
import { projectionDiffs } from './verify.js';

/**
 * Drill of issue 7, item 1: the read-model table answers every request with throttling or 500s (a proxy in
 * front of DynamoDB Local, for the handlers' requests naming that table) for DRILL_OUTAGE_S under steady load
 * of commands through the HTTP API. The stream pollers run the packaged retry settings, scaled (settings.ts).
 */
let drill: Drill;
const outage = () => {
  const next = flaky<Fault>(
    { status: 400, type: 'ThrottlingException' },
    { status: 500, type: 'InternalServerError' },
  );
  return {
    on: () => {
      if (drill.proxy)
        drill.proxy.fault = (tables) => (tables.includes(drill.readModelTable) ? next() : undefined);
    },
    off: () => {
      if (drill.proxy) drill.proxy.fault = () => undefined;
    },
  };
};

beforeAll(async () => {
  drill = await startDrill({ proxy: true });
}, DRILL_TIMEOUT_MS);
afterAll(async () => {
  await drill?.stop();
});

describe('drill: a read-model table outage under load', () => {
  it('the packaged stream consumers retry until the record expires', () => {
    expect(drill.runtime.wiring.streams.flatMap(settingsProblems)).toEqual([]);
  });

  it(
    'with the fix reverted (20 retries, scaled), Lambda drops records: projections stay wrong, until bbws recover',
    async () => {
      drill.configure(() => scaled(REVERTED));
      const figures = await runOutage(drill, outage(), 'read model, reverted', {
        untilGiveUps: 2,
        expectRecovery: false,
      });
      console.log(
        JSON.stringify({
          ...figures,
          unpublished: figures.unpublished.length,
          differing: figures.differing.length,
        }),
      );
      expect(figures.differing.length).toBeGreaterThan(0);
      expect(drill.proxy?.refused).toBeGreaterThan(0);
      const messages = await drill.drainOnFailure();
      expect(messages.length).toBeGreaterThan(0);

      // the documented recovery: re-apply the windows the on-failure messages name
      const registry = new ProjectionRegistry(
        drill.client,
        tableName('ProjectionRegistryTable', STAGE),
        (id) => tableName(id, STAGE),
        projections,
      );
      for (const window of failureWindows(messages)) {
        expect(window.consumer).toBe('projections');
        const report = await reapplyWindow(
          {
            store: drill.store,
            writer: new DynamoProjectionWriter(drill.client, drill.store),
            parked: drill.parked,
            targets: () => registry.targets(),
          },
          window,
        );
        expect(report.parked).toBe(0);
      }
      expect(
        await projectionDiffs(drill.client, drill.readModelTable, drill.store, figures.differing),
      ).toEqual([]);
    },
    DRILL_TIMEOUT_MS,
  );

  it(
    'with the packaged settings, every projection equals a clean rebuild after the outage, with no operator step',
    async () => {
      await drill.drainOnFailure(); // a clean slate, whatever the phase before left
      drill.configure((fn) => {
        const packaged = drill.runtime.wiring.streams.find((s) => s.function === fn);
        if (!packaged) throw new Error(`no stream consumer ${fn}`);
        return { ...packaged, ...scaled(packaged) };
      });
      const figures = await runOutage(drill, outage(), 'read model, packaged settings', {
        expectRecovery: true,
      });
      console.log(JSON.stringify(figures));
      expect(figures.differing).toEqual([]);
      expect(figures.unpublished).toEqual([]);
      expect(figures.parked).toBe(0);
      expect(figures.failedCommands).toBe(0);
      expect(await drill.drainOnFailure()).toEqual([]);
      expect(figures.recoveryMs).toBeDefined();
    },
    DRILL_TIMEOUT_MS,
  );
});
