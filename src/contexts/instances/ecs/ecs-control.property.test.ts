import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { integrationDetail } from '#test/lambda-events.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState } from '../domain/instance.state.js';
import { type ControlTrigger, ecsControl } from './ecs-control.js';
import { InMemoryEcsControl } from './in-memory.ecs-control.js';
import { activeInstance } from './instance-fixtures.js';

const logger = new Logger({ logLevel: 'SILENT' });
type Live = Exclude<InstanceState, { status: 'NEW' }>;

/** What the service must run once every event is handled: the head's counts (0/0 while suspended). */
const expected = (state: Live) =>
  state.status === 'SUSPENDED'
    ? { desiredCount: 0, minCount: 0, maxCount: 0 }
    : { desiredCount: state.desiredCount, minCount: state.tier.minCount, maxCount: state.tier.maxCount };

const command = fc.oneof(
  fc.constant<InstanceCommand>({ type: 'Suspend', reason: 'tenant parked' }),
  fc.constant<InstanceCommand>({ type: 'Resume' }),
  fc.integer({ min: 1, max: 4 }).map<InstanceCommand>((desiredCount) => ({ type: 'Scale', desiredCount })),
);

/** An ACTIVE business-tier instance (1 desired, 1..4) with its service, after `commands`: their events' types. */
async function history(commands: readonly InstanceCommand[]) {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const ecs = new InMemoryEcsControl();
  const instance = await activeInstance(runner, { planId: 'business' });
  ecs.create(instance.serviceArn, 1);
  ecs.bounds.set(instance.serviceArn, { minCount: 1, maxCount: 4 });
  const triggers: ControlTrigger[] = [];
  for (const c of commands) {
    const metadata = { correlationId: ulid(), actor: 'test' };
    const request = { decider: instanceDecider, streamId: instance.streamId, command: c, metadata };
    // A scale of a suspended instance is refused: no event.
    const outcome = await runner.run({ ...request, result: () => undefined }).catch(() => undefined);
    for (const e of outcome?.events ?? []) triggers.push(e.type as ControlTrigger);
  }
  return { store, ecs, instance, triggers };
}

const delivery = (streamId: string, type: ControlTrigger) => integrationDetail({ streamId, type });

describe('ECS control: any order, any repeats', () => {
  it('leaves the service at the head counts whatever the delivery order and duplicates of its events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 14, maxLength: 14 }),
        async (commands, duplicates, keys) => {
          const { store, ecs, instance, triggers } = await history(commands);
          const repeats = triggers.length
            ? duplicates.map((i) => triggers[i % triggers.length] as ControlTrigger)
            : [];
          const deliveries = [...triggers, ...repeats];
          const order = [...deliveries.keys()].sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || a - b);
          const consumer = ecsControl(() => ({ store, ecs: () => ecs }));
          for (const i of order)
            await consumer.handle(delivery(instance.streamId, deliveries[i] as ControlTrigger), { logger });
          const head = stateOf(instanceDecider, await store.load(instance.streamId)) as Live;
          const { desiredCount, ...bounds } = expected(head);
          expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(desiredCount);
          expect(ecs.bounds.get(instance.serviceArn)).toEqual(bounds);
        },
      ),
      { numRuns: 100 },
    );
  });
});
