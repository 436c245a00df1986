import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import {
  applyChanges,
  type Projection,
  READ_ROUNDS,
  type Row,
  rowId,
} from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore, InMemoryStorage } from '#src/platform/event-store/in-memory.event-store.js';
import { leakForms } from '#src/platform/event-store/personal-data.fixtures.js';
import { dataSubjectDecider } from '#src/platform/privacy/data-subjects/data-subject.decider.js';
import { dataSubjectStream } from '#src/platform/privacy/data-subjects/data-subject.stream.js';
import { runErasure } from '#src/platform/privacy/data-subjects/erasure-process.js';
import { inMemorySubjectStreams } from '#src/platform/privacy/data-subjects/subject-streams.js';
import { tenantsV1 } from './tenants.v1.js';
import { tenantsV2 } from './tenants.v2.js';

/**
 * tenants v1 and v2 under erasure: random histories of tenants whose contacts and users are a few people, then the
 * erasure of some of them (key deleted, markers appended by the real process). The rows the live projection
 * wrote — each event applied when it was appended, as the writer applies it (only the rows `reads` names, in its
 * rounds), the erased person's values still in plain — then the markers, must equal a clean rebuild from the
 * events as they read now (placeholders), and hold none of the erased people's values; everyone else's stay.
 */
const PEOPLE = 4;
const step = fc.oneof(
  fc.record({ kind: fc.constant('contact' as const), tenant: fc.nat(2), person: fc.nat(PEOPLE - 1) }),
  fc.record({
    kind: fc.constant('assign' as const),
    tenant: fc.nat(2),
    user: fc.nat(2),
    person: fc.option(fc.nat(PEOPLE - 1), { nil: undefined }),
    admin: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), tenant: fc.nat(2), user: fc.nat(2) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function commandOf(s: Step, emails: readonly string[]): TenantCommand {
  switch (s.kind) {
    case 'contact':
      return { type: 'UpdateTenant', contactEmail: emails[s.person] };
    case 'assign':
      return {
        type: 'AssignUser',
        userId: `u${s.user}`,
        email: s.person === undefined ? undefined : emails[s.person],
        role: s.admin ? 'TenantAdmin' : 'TenantMember',
      };
    case 'remove':
      return { type: 'RemoveUser', userId: `u${s.user}` };
  }
}

/** What the DynamoDB writer does for one event: hand the projection only the rows it names, round by round. */
function applyAsWriter(projection: Projection, rows: Map<string, Row>, event: EventEnvelope): void {
  const seen = new Map<string, Row>();
  let keys = projection.reads(event);
  for (let round = 0; round < READ_ROUNDS && keys.length > 0; round++) {
    for (const key of keys) {
      const row = rows.get(rowId(key));
      if (row) seen.set(rowId(key), row);
    }
    const named = projection.reads(event, seen);
    keys = named.filter((key) => !seen.has(rowId(key)) && rows.has(rowId(key)));
  }
  applyChanges(rows, projection.apply(seen, event));
}

const sorted = (rows: Map<string, Row>) => [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

type Live = Map<Projection, Map<string, Row>>;

/** A world: one in-memory store, its runner, the people, and the rows each projection version wrote live. */
function world() {
  const storage = new InMemoryStorage();
  const store = new InMemoryEventStore(catalogue, { storage });
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const emails = Array.from({ length: PEOPLE }, (_, i) => `Person.${i}.${ulid()}@Erasure.test`);
  const live: Live = new Map([tenantsV1, tenantsV2].map((p) => [p, new Map<string, Row>()]));
  const tenants = [0, 1, 2].map(() => ulid());
  const seenVersion = new Map<string, number>();
  /** The people whose values an appended event holds (a command the decider answers with nothing stores none). */
  const written = new Set<string>();
  return { storage, store, runner, emails, live, tenants, seenVersion, written };
}
type World = ReturnType<typeof world>;

/** Runs a command and applies what it appended to the live rows, as the dispatcher would. */
async function run(w: World, streamId: string, command: TenantCommand) {
  const outcome = await w.runner
    .run({
      decider: tenantDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'op' },
      result: () => undefined,
    })
    .catch(() => undefined);
  for (const event of outcome?.events ?? []) {
    const data = JSON.stringify(event.data);
    for (const email of w.emails) if (data.includes(email)) w.written.add(email);
    for (const [projection, rows] of w.live) applyAsWriter(projection, rows, event);
    w.seenVersion.set(streamId, event.version);
  }
}

/** The erasure of one person: the API's command (key deleted), then the process (markers). */
async function erasePerson(w: World, email: string) {
  const subjectId = await w.store.keys.subjectIdOf(email);
  const erasureId = ulid();
  await w.runner.run({
    decider: dataSubjectDecider,
    streamId: dataSubjectStream.id(subjectId),
    command: {
      type: 'RequestErasure',
      erasureId,
      subjectId,
      reason: 'asked',
      requestedBy: 'admin',
      keyHeld: true,
    },
    eraseKeys: [subjectId],
    metadata: { correlationId: ulid(), actor: 'admin' },
    result: () => undefined,
  });
  const deps = {
    store: w.store,
    runner: w.runner,
    streams: inMemorySubjectStreams(w.storage),
    handlers: [],
    handlerDeps: () => ({}) as never,
    clock: () => new Date(),
    sleep: async () => {},
    newEventId: ulid,
    keyCacheMs: 0,
    clockSkewMs: 0,
  };
  const requestedAt = new Date().toISOString();
  const report = await runErasure(deps, {
    erasureId,
    subjectId,
    requestedAt,
    requestedBy: 'admin',
    correlationId: ulid(),
  });
  expect(report.ran).toBe(true);
}

/** What the projection builds from the events as they read now: a clean rebuild. */
async function rebuild(w: World, projection: Projection): Promise<Map<string, Row>> {
  const rebuilt = new Map<string, Row>();
  for (const tenantId of w.tenants) {
    for (const event of await w.store.readStream(`tenant-${tenantId}`)) {
      applyChanges(rebuilt, projection.apply(rebuilt, event));
    }
  }
  return rebuilt;
}

async function createTenants(w: World) {
  for (const [i, tenantId] of w.tenants.entries()) {
    await run(w, `tenant-${tenantId}`, {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Org ${tenantId}`,
      contactEmail: w.emails[i % PEOPLE] as string,
      environment: 'dev',
    });
  }
}

/** The markers reach the live projection after everything before them. */
async function applyMarkers(w: World) {
  for (const tenantId of w.tenants) {
    const streamId = `tenant-${tenantId}`;
    const after = await w.store.readStream(streamId, (w.seenVersion.get(streamId) ?? 0) + 1);
    for (const event of after) for (const [p, rows] of w.live) applyAsWriter(p, rows, event);
  }
}

/** No erased person in any encoding; every other person the history wrote, still there. */
function expectOnly(text: string, erased: readonly string[], written: ReadonlySet<string>) {
  for (const email of erased) {
    for (const form of leakForms(email)) expect(text.includes(form), `${email} as ${form}`).toBe(false);
  }
  for (const email of written) if (!erased.includes(email)) expect(text).toContain(email);
}

describe('tenants projection: erasure', () => {
  it('masks an erased person everywhere on the markers, leaves everyone else, and equals a clean rebuild', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.uniqueArray(fc.nat(PEOPLE - 1), { minLength: 1, maxLength: 2 }),
        async (steps, erasedPeople) => {
          const w = world();
          await createTenants(w);
          for (const s of steps) await run(w, `tenant-${w.tenants[s.tenant]}`, commandOf(s, w.emails));
          const erasedEmails = erasedPeople.map((p) => w.emails[p] as string);
          for (const email of erasedEmails) await erasePerson(w, email);
          await applyMarkers(w);
          for (const [projection, rows] of w.live) {
            expect(sorted(rows)).toEqual(sorted(await rebuild(w, projection)));
            expectOnly(JSON.stringify(sorted(rows)), erasedEmails, w.written);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
