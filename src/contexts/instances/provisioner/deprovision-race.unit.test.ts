import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { planOf } from '#src/contexts/plans/index.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { type ProvisionerDependencies, provisionChange } from './provisioner.js';

const logger = new Logger({ logLevel: 'SILENT' });

/**
 * A DELETE that lands while the first provisioning is being committed (review 10, #1): the stale change-1
 * handler must neither dispatch `apply` nor leave its folder behind an instance already DELETED, and a folder
 * it did push must be destroyed and removed by the deprovisioning.
 */
function setup(when: 'before-push' | 'during-push' | 'after-push' | 'window') {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const tenantId = ulid();
  const instanceId = ulid();
  const streamId = instanceStream.id(instanceId);
  const run = (command: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
  const dispatched: { action: string; eventId: string }[] = [];
  const repo = new Map<string, string>(); // folder -> message of the commit that wrote it
  const startOf = async (change: number) => {
    const events = await store.readStream(streamId);
    const e = events.find((x) => (x.data as { change?: number }).change === change);
    if (!e) throw new Error(`no change ${change}`);
    return { eventId: e.eventId, streamId, correlationId: ulid(), occurredAt: e.occurredAt, change };
  };
  const deleteNow = async () => {
    await run({ type: 'Deprovision', reason: 'deleted by op' });
    await provisionChange(deps, await startOf(2), logger);
  };
  let raced = false;
  let landing: string | undefined;
  const deps: ProvisionerDependencies = {
    runner,
    store,
    environments: () =>
      ({
        repository: { owner: 'o', name: 'prod-env' },
        git: {
          findCommit: async ({ folder, messageContains }: { folder: string; messageContains: string }) => {
            if (when === 'before-push' && !raced) {
              raced = true;
              await deleteNow();
            }
            const found = repo.get(folder)?.includes(messageContains) ? 'c'.repeat(40) : undefined;
            if (landing) {
              repo.set(folder, landing); // the stale push lands just after the deprovisioning looked
              landing = undefined;
            }
            return found;
          },
          commitTenantFolder: async ({ folder, message }: { folder: string; message: string }) => {
            if (when === 'during-push' && !raced) {
              raced = true;
              await deleteNow(); // the push is on the wire: not in the repository yet
            }
            if (when === 'window' && !raced) {
              raced = true;
              await run({ type: 'Deprovision', reason: 'deleted by op' }); // its handler runs later
              landing = message; // still on the wire
              return { sha: 'a'.repeat(40), parent: undefined, changed: true };
            }
            repo.set(folder, message);
            if (when === 'after-push' && !raced) {
              raced = true;
              await deleteNow(); // the push landed; RecordCommit not yet recorded
            }
            return { sha: 'a'.repeat(40), parent: undefined, changed: true };
          },
          removeTenantFolder: async ({ folder }: { folder: string }) => {
            const changed = repo.delete(folder);
            return { sha: 'd'.repeat(40), parent: undefined, changed };
          },
        },
      }) as never,
    workflow: {
      findRun: async () => undefined,
      dispatch: async (_r: unknown, inputs: { action: string; eventId: string }) => {
        dispatched.push(inputs);
        return {
          id: dispatched.length,
          url: `https://github.com/o/prod-env/actions/runs/${dispatched.length}`,
        };
      },
      run: async () => {
        throw new Error('not polled here');
      },
    } as never,
    schedule: async () => undefined,
    folders: {
      region: 'af-south-1',
      image: `bbws/wordpress@sha256:${'0'.repeat(64)}`,
      siteBaseDomain: 'sites.test',
      adminEmail: 'ops@bbws.test',
    },
  };
  const provision = async () => {
    const { planId, version, tier, environments } = planOf('business');
    await run({
      type: 'RequestProvisioning',
      instanceId,
      tenantId,
      environment: 'prod',
      tenantEnvironment: 'prod',
      plan: { planId, version, tier, environments },
      albSlot: { alb: 1, priority: 1 },
    });
    await provisionChange(deps, await startOf(1), logger);
  };
  const head = async () => stateOf(instanceDecider, await store.load(streamId));
  const deprovisionLater = async () => provisionChange(deps, await startOf(2), logger);
  return { provision, deprovisionLater, head, dispatched, repo, startOf };
}

describe('a DELETE while the first provisioning is being committed (review 10, #1)', () => {
  it('lands during the push: DELETED, no apply dispatched, and the folder pushed is removed again', async () => {
    const t = setup('during-push');
    await t.provision();
    expect((await t.head()).status).toBe('DELETED');
    expect({ dispatched: t.dispatched, folderLeft: [...t.repo.keys()] }).toEqual({
      dispatched: [],
      folderLeft: [],
    });
  });

  it('lands before the push: nothing pushed, nothing dispatched, DELETED at once', async () => {
    const t = setup('before-push');
    await t.provision();
    expect((await t.head()).status).toBe('DELETED');
    expect({ dispatched: t.dispatched, folderLeft: [...t.repo.keys()] }).toEqual({
      dispatched: [],
      folderLeft: [],
    });
  });

  it('lands after the push (its commit not recorded): the folder is found, destroy runs on it, never apply', async () => {
    const t = setup('after-push');
    await t.provision();
    const head = await t.head();
    expect(head.status).toBe('DEPROVISIONING');
    const destroy = await t.startOf(2);
    expect(t.dispatched).toEqual([
      { tenantId: expect.any(String), action: 'destroy', eventId: destroy.eventId },
    ]);
    expect(t.repo.size).toBe(1); // removed by the deprovisioning once its destroy run succeeded (follow.ts)
  });

  it('lands during the push, the push landing after the deprovisioning looked but before DELETED: removed', async () => {
    const t = setup('window');
    await t.provision(); // the stale handler saw DEPROVISIONING after its push: it neither dispatched nor removed
    expect((await t.head()).status).toBe('DEPROVISIONING');
    await t.deprovisionLater(); // looks (nothing yet), the push lands, DELETED, looks again: removes it
    expect((await t.head()).status).toBe('DELETED');
    expect({ dispatched: t.dispatched, folderLeft: [...t.repo.keys()] }).toEqual({
      dispatched: [],
      folderLeft: [],
    });
  });
});
