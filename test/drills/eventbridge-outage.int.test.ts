import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { defaultRetryPolicy } from '#src/platform/command/retry.js';
import { failureWindows } from '#src/platform/projection-runtime/recover.js';
import { EventBridgeBus } from '#src/platform/publishing/eventbridge.bus.js';
import { republishWindow } from '#src/platform/publishing/republish.js';
import { type Drill, flaky, runOutage, STAGE, startDrill } from './drill.js';
import { DRILL_TIMEOUT_MS, REVERTED, scaled, settingsProblems } from './settings.js';

/**
 * Drill of issue 7, item 1: EventBridge fails every PutEvents call (throttling and 500s, at the endpoint) for
 * DRILL_OUTAGE_S under steady load of commands through the HTTP API. The stream pollers run the packaged
 * template's retry settings, scaled with the outage (settings.ts).
 */
let drill: Drill;
const outage = () => {
  const next = flaky(
    { status: 400, type: 'ThrottlingException' },
    { status: 500, type: 'InternalException' },
  );
  return {
    on: () => {
      drill.runtime.eventBridge.fault = next;
    },
    off: () => {
      drill.runtime.eventBridge.fault = () => undefined;
    },
  };
};

beforeAll(async () => {
  drill = await startDrill({ proxy: false });
}, DRILL_TIMEOUT_MS);
afterAll(async () => {
  await drill?.stop();
});

describe('drill: an EventBridge outage under load', () => {
  it('the packaged stream consumers retry until the record expires', () => {
    expect(drill.runtime.wiring.streams.flatMap(settingsProblems)).toEqual([]);
  });

  it(
    'with the fix reverted (20 retries, scaled), Lambda drops records: events are never published, until bbws recover',
    async () => {
      drill.configure(() => scaled(REVERTED));
      const figures = await runOutage(drill, outage(), 'EventBridge, reverted', {
        untilGiveUps: 1,
        expectRecovery: false,
      });
      console.log(
        JSON.stringify({
          ...figures,
          unpublished: figures.unpublished.length,
          differing: figures.differing.length,
        }),
      );
      expect(figures.unpublished.length).toBeGreaterThan(0);
      const messages = await drill.drainOnFailure();
      expect(messages.length).toBeGreaterThan(0);

      // the documented recovery: re-publish the windows the on-failure messages name
      const bus = EventBridgeBus.connect('af-south-1', process.env.EVENTBRIDGE_ENDPOINT);
      for (const window of failureWindows(messages)) {
        expect(window.consumer).toBe('eventPublisher');
        const report = await republishWindow(
          {
            store: drill.store,
            parked: drill.parked,
            bus,
            busName: `bbws-events-${STAGE}`,
            catalogue,
            retry: defaultRetryPolicy,
            maxRequestBytes: 256 * 1024,
          },
          window,
        );
        expect(report.failed).toEqual([]);
      }
      const lost = figures.unpublished.length;
      const events = await drill.store.readAll({ categories: ['tenant'] });
      const missing: string[] = [];
      for await (const batch of events)
        missing.push(...batch.events.filter((e) => !drill.publishedAt.has(e.eventId)).map((e) => e.eventId));
      expect({ lost, missingAfterRecover: missing }).toEqual({ lost, missingAfterRecover: [] });
    },
    DRILL_TIMEOUT_MS,
  );

  it(
    'with the packaged settings, every event is published after the outage, with no operator step',
    async () => {
      await drill.drainOnFailure(); // a clean slate, whatever the phase before left
      drill.configure((fn) => {
        const packaged = drill.runtime.wiring.streams.find((s) => s.function === fn);
        if (!packaged) throw new Error(`no stream consumer ${fn}`);
        return { ...packaged, ...scaled(packaged) };
      });
      const figures = await runOutage(drill, outage(), 'EventBridge, packaged settings', {
        expectRecovery: true,
      });
      console.log(JSON.stringify(figures));
      expect(figures.unpublished).toEqual([]);
      expect(figures.differing).toEqual([]);
      expect(figures.parked).toBe(0);
      expect(figures.failedCommands).toBe(0);
      expect(await drill.drainOnFailure()).toEqual([]);
      expect(figures.recoveryMs).toBeDefined();
    },
    DRILL_TIMEOUT_MS,
  );
});
