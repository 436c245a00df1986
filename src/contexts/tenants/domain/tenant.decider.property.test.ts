import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { fold } from '#src/platform/domain/decider.js';
import { DomainError } from '#src/platform/domain/errors.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { metadata } from '#test/fixtures.js';
import { tenantCommandArb } from '#test/tenant-arbitraries.js';
import { type TenantCommand, type TenantState, tenantDecider } from './tenant.decider.js';
import type { TenantEvent } from './tenant.events.js';
import { tenantStream } from './tenant.stream.js';

/** The simplest model of what a tenant may do: status, users and whether a hierarchy exists. */
interface Model {
  status: 'NEW' | 'ACTIVE' | 'PARKED' | 'DELETED';
  users: Map<string, string>;
  hierarchy: boolean;
  name: string;
  plan?: string;
}

const commandArb = tenantCommandArb();

const live = (model: Model) => model.status === 'ACTIVE' || model.status === 'PARKED';
type Rule<T extends TenantCommand['type']> = (
  model: Model,
  command: Extract<TenantCommand, { type: T }>,
) => number | 'error';
const rules: { [T in TenantCommand['type']]: Rule<T> } = {
  CreateTenant: (m) => (m.status === 'NEW' ? 1 : 'error'),
  UpdateTenant: (m, c) => (c.organizationName === m.name ? 0 : 1),
  ParkTenant: (m) => (m.status === 'PARKED' ? 'error' : 1),
  UnparkTenant: (m) => (m.status === 'PARKED' ? 1 : 'error'),
  DeleteTenant: (_m, c) => (c.force || c.owned.sites + c.owned.instances === 0 ? 1 : 'error'),
  AssignUser: (m, c) => (m.users.get(c.userId) === c.role ? 0 : 1),
  RemoveUser: (m, c) => (m.users.has(c.userId) ? 1 : 'error'),
  PutHierarchy: () => 1,
  DeleteHierarchy: (m) => (m.hierarchy ? 1 : 'error'),
  ChangePlan: (m, c) => (m.plan === c.planId ? 0 : 1),
};

/** What the model allows: the number of events expected, or 'error'. */
function allowed(model: Model, command: TenantCommand): number | 'error' {
  if (command.type !== 'CreateTenant' && !live(model)) return 'error';
  return (rules[command.type] as Rule<typeof command.type>)(model, command as never);
}

function step(model: Model, command: TenantCommand): void {
  if (command.type === 'CreateTenant')
    Object.assign(model, { status: 'ACTIVE', name: command.organizationName });
  if (command.type === 'UpdateTenant' && command.organizationName) model.name = command.organizationName;
  if (command.type === 'ParkTenant') model.status = 'PARKED';
  if (command.type === 'UnparkTenant') model.status = 'ACTIVE';
  if (command.type === 'DeleteTenant') model.status = 'DELETED';
  if (command.type === 'AssignUser') model.users.set(command.userId, command.role);
  if (command.type === 'RemoveUser') model.users.delete(command.userId);
  if (command.type === 'PutHierarchy') model.hierarchy = true;
  if (command.type === 'DeleteHierarchy') model.hierarchy = false;
  if (command.type === 'ChangePlan') model.plan = command.planId;
}

describe('tenant decider against a model', () => {
  it('never reaches a state the model forbids, and replaying its events gives the same state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), async (commands) => {
        const store = new InMemoryEventStore(catalogue);
        const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
        const decider = { ...tenantDecider, snapshotEvery: 3 };
        const model: Model = { status: 'NEW', users: new Map(), hierarchy: false, name: '' };
        const streamId = tenantStream.id(ulid());
        let state: TenantState = tenantDecider.initialState();
        for (const command of commands) {
          const expected = allowed(model, command);
          const outcome = await runner
            .run({ decider, streamId, command, metadata: metadata(), result: ({ state }) => state })
            .catch((error: unknown) => error);
          if (expected === 'error') {
            expect(outcome).toBeInstanceOf(DomainError);
            continue;
          }
          expect(outcome).not.toBeInstanceOf(Error);
          const { events, result } = outcome as { events: unknown[]; result: TenantState };
          expect(events).toHaveLength(expected);
          step(model, command);
          state = result;
          expect(state.status).toBe(model.status);
          if (state.status !== 'NEW') {
            expect(Object.keys(state.users).sort()).toEqual([...model.users.keys()].sort());
            expect(state.hierarchy !== null).toBe(model.hierarchy);
            expect(state.organizationName).toBe(model.name);
            expect(state.planId).toBe(model.plan);
          }
        }
        const replayed = fold(
          tenantDecider,
          tenantDecider.initialState(),
          (await store.readStream(streamId)).map(
            (e) => ({ type: e.type, data: e.data, occurredAt: e.occurredAt }) as TenantEvent,
          ),
        );
        expect(replayed).toEqual(state);
      }),
      { numRuns: 200 },
    );
  });
});
