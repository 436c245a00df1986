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

describe('tenants projection: erasure', () => {
  it('masks an erased person everywhere on the markers, leaves everyone else, and equals a clean rebuild', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.uniqueArray(fc.nat(PEOPLE - 1), { minLength: 1, maxLength: 2 }),
        async (steps, erasedPeople) => {
          const storage = new InMemoryStorage();
          const store = new InMemoryEventStore(catalogue, { storage });
          const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
          const emails = Array.from({ length: PEOPLE }, (_, i) => `Person.${i}.${ulid()}@Erasure.test`);
          const live = new Map([tenantsV1, tenantsV2].map((p) => [p, new Map<string, Row>()]));
          const seenVersion = new Map<string, number>();
          const run = async (streamId: string, command: TenantCommand) => {
            const outcome = await runner
              .run({
                decider: tenantDecider,
                streamId,
                command,
                metadata: { correlationId: ulid(), actor: 'op' },
                result: () => undefined,
              })
              .catch(() => undefined);
            for (const event of outcome?.events ?? []) {
              for (const [projection, rows] of live) applyAsWriter(projection, rows, event);
              seenVersion.set(streamId, event.version);
            }
          };
          const tenants = [0, 1, 2].map(() => ulid());
          for (const [i, tenantId] of tenants.entries()) {
            await run(`tenant-${tenantId}`, {
              type: 'CreateTenant',
              tenantId,
              organizationName: `Org ${tenantId}`,
              contactEmail: emails[i % PEOPLE] as string,
              environment: 'dev',
            });
          }
          for (const s of steps) await run(`tenant-${tenants[s.tenant]}`, commandOf(s, emails));

          const erasedEmails = erasedPeople.map((p) => emails[p] as string);
          for (const email of erasedEmails) {
            const subjectId = await store.keys.subjectIdOf(email);
            const erasureId = ulid();
            await runner.run({
              decider: dataSubjectDecider,
              streamId: dataSubjectStream.id(subjectId),
              command: {
                type: 'RequestErasure',
                erasureId,
                subjectId,
                reason: 'asked by the person',
                requestedBy: 'admin',
                keyHeld: true,
              },
              eraseKeys: [subjectId],
              metadata: { correlationId: ulid(), actor: 'admin' },
              result: () => undefined,
            });
            const report = await runErasure(
              {
                store,
                runner,
                streams: inMemorySubjectStreams(storage),
                handlers: [],
                handlerDeps: () => {
                  throw new Error('no handlers here');
                },
                clock: () => new Date(),
                sleep: async () => {},
                newEventId: ulid,
                keyCacheMs: 0,
                clockSkewMs: 0,
              },
              {
                erasureId,
                subjectId,
                requestedAt: new Date().toISOString(),
                requestedBy: 'admin',
                correlationId: ulid(),
              },
            );
            expect(report.ran).toBe(true);
          }
          // the markers reach the live projection after everything before them
          for (const tenantId of tenants) {
            const streamId = `tenant-${tenantId}`;
            const after = await store.readStream(streamId, (seenVersion.get(streamId) ?? 0) + 1);
            for (const event of after)
              for (const [projection, rows] of live) applyAsWriter(projection, rows, event);
          }

          for (const [projection, rows] of live) {
            const rebuilt = new Map<string, Row>();
            for (const tenantId of tenants) {
              for (const event of await store.readStream(`tenant-${tenantId}`)) {
                applyChanges(rebuilt, projection.apply(rebuilt, event));
              }
            }
            expect(sorted(rows)).toEqual(sorted(rebuilt));
            const text = JSON.stringify(sorted(rows));
            for (const email of erasedEmails) {
              for (const form of leakForms(email))
                expect(text.includes(form), `${email} as ${form}`).toBe(false);
            }
            for (const email of history(steps, emails, tenants)) {
              if (!erasedEmails.includes(email)) expect(text).toContain(email);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** The people a history wrote (as contacts or assigned users): their values must still read. */
function history(steps: readonly Step[], emails: readonly string[], tenants: readonly string[]): Set<string> {
  const written = new Set(tenants.map((_, i) => emails[i % PEOPLE] as string));
  for (const s of steps) {
    if (s.kind === 'contact') written.add(emails[s.person] as string);
    if (s.kind === 'assign' && s.person !== undefined) written.add(emails[s.person] as string);
  }
  return written;
}
