import { join } from 'node:path';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { platformProjections } from '#src/contexts/projections.js';
import { type LocalKeys, localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { applyChanges, type Projection, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { leakForms } from '#src/platform/event-store/personal-data.fixtures.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { app, tableName } from '#src/platform/infra/app.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { captureLogs, eventually } from '#test/runtime.js';

/**
 * Issue 9, "must show": random histories of tenant commands touching several people (contacts, users assigned by
 * e-mail or by id, contact changes, removals, parking), through the HTTP API of the whole local runtime (every
 * function under its packaged role, KMS through the stand-in, logs at DEBUG), then the erasure of some of them.
 * Afterwards no trace of an erased person is found anywhere the platform stores or sends — every table, every
 * event the local EventBridge accepted, every log line, the identity directory — in plain, lower-cased,
 * JSON-escaped, URL-encoded or base64 form; everyone else's data reads back intact; every read model equals a
 * clean rebuild; and every commit item is byte-identical before and after the erasures.
 */
const STAGE = 'erasure';
let runtime: RunningRuntime;
let keys: LocalKeys;
let client: ReturnType<typeof documentClient>;
let store: DynamoEventStore;
let directory: LocalIdentityDirectory;
/** The functions' log lines and everything else written, searched for leaks (not printed: test/runtime.ts). */
let logs: string[] = [];
let restoreLogs: () => void = () => {};

beforeAll(async () => {
  ({ lines: logs, restore: restoreLogs } = captureLogs({ keep: 'all' }));
  const stateDir = join(
    (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'bbws-erasure-')),
  );
  runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 10,
    logLevel: 'DEBUG',
    log: (l) => logs.push(l),
  });
  keys = localKeys(join(stateDir, 'auth'));
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
  directory = new LocalIdentityDirectory(join(stateDir, 'identity', 'users.json'));
}, 120_000);
afterAll(async () => {
  restoreLogs();
  client?.destroy();
  await runtime?.stop();
});

const token = (sub: string, groups: string[] = []) =>
  signLocalToken(keys, { sub, ...(groups.length ? { 'cognito:groups': groups } : {}) });

async function api(
  method: string,
  path: string,
  as: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers: {
      authorization: `Bearer ${as}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const PEOPLE = 4;
const step = fc.oneof(
  fc.record({ kind: fc.constant('contact' as const), tenant: fc.nat(1), person: fc.nat(PEOPLE - 1) }),
  fc.record({
    kind: fc.constant('assign' as const),
    tenant: fc.nat(1),
    person: fc.nat(PEOPLE - 1),
    byEmail: fc.boolean(),
    admin: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), tenant: fc.nat(1), person: fc.nat(PEOPLE - 1) }),
  fc.record({ kind: fc.constant('park' as const), tenant: fc.nat(1) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;
const localPart = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9.+_-]{2,12}[A-Za-z0-9]$/)
  .filter((s) => !s.includes('..'));

interface Run {
  people: { email: string; userId: string }[];
  tenants: string[];
  /** people whose values an event holds (their values must read back unless erased) */
  written: Set<number>;
  directory: Set<number>;
}

async function assign(run: Run, s: Extract<Step, { kind: 'assign' }>, op: string) {
  const person = run.people[s.person] as Run['people'][number];
  if (s.byEmail && !run.directory.has(s.person)) {
    await directory.addUser({ userId: person.userId, email: person.email });
    run.directory.add(s.person);
  }
  const role = s.admin ? 'TenantAdmin' : 'TenantMember';
  const body = s.byEmail ? { email: person.email, role } : { userId: person.userId, role };
  const key = { 'idempotency-key': `assign-${ulid()}` };
  const streamId = `tenant-${run.tenants[s.tenant]}`;
  const before = (await commitItems(streamId)).length;
  const reply = await api('POST', `/tenants/${run.tenants[s.tenant]}/users`, op, body, key);
  // A member assigned again with the role it has is answered 201 with nothing appended (the decider's no-op):
  // the e-mail is held only when the assignment appended its event.
  const appended = (await commitItems(streamId)).length > before;
  if (reply.status === 201 && s.byEmail && appended) run.written.add(s.person);
}

async function play(run: Run, s: Step, op: string) {
  const tenantId = run.tenants[s.tenant] as string;
  switch (s.kind) {
    case 'contact': {
      const email = run.people[s.person]?.email;
      const reply = await api('PATCH', `/tenants/${tenantId}`, op, { contactEmail: email });
      if (reply.status === 200) run.written.add(s.person);
      return;
    }
    case 'assign':
      return assign(run, s, op);
    case 'remove':
      await api('DELETE', `/tenants/${tenantId}/users/${run.people[s.person]?.userId}`, op);
      return;
    case 'park':
      await api('POST', `/tenants/${tenantId}/park`, op, { reason: 'invoice overdue' });
      return;
  }
}

async function scanAll(): Promise<string> {
  const all: unknown[] = [];
  for (const id of Object.keys(app.tables)) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: tableName(id, STAGE), ExclusiveStartKey, ConsistentRead: true }),
      );
      all.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return JSON.stringify(all);
}

async function commitItems(streamId: string): Promise<string[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName('EventStoreTable', STAGE),
      KeyConditionExpression: 'pk = :pk AND sk >= :one',
      ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => JSON.stringify(item));
}

/** The rows of one stream in a projection's table, against a clean rebuild from the events as they read now. */
async function expectRebuilt(projection: Projection, table: string, streamId: string, pk: string) {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName(table, STAGE),
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  const rebuilt = new Map<string, Row>();
  for (const event of await store.readStream(streamId))
    applyChanges(rebuilt, projection.apply(rebuilt, event));
  const bySk = (rows: Row[]) => [...rows].sort((a, b) => (a.SK < b.SK ? -1 : 1));
  expect(bySk(Items as Row[]), `${projection.name} rows of ${streamId}`).toEqual(bySk([...rebuilt.values()]));
}

async function newRun(locals: readonly string[], op: string): Promise<Run> {
  const id = ulid();
  const run: Run = {
    people: locals.map((l, i) => ({ email: `${l}.${id}@Erasure-${i}.test`, userId: `u-${id}-${i}` })),
    tenants: [],
    written: new Set([0, 1]),
    directory: new Set(),
  };
  for (const contact of [0, 1]) {
    const body = {
      organizationName: `Org ${id} ${contact}`,
      contactEmail: run.people[contact]?.email,
      environment: 'dev',
    };
    const created = await api('POST', '/tenants', op, body, { 'idempotency-key': `create-${id}-${contact}` });
    expect(created.status).toBe(201);
    run.tenants.push(String(created.body.tenantId));
  }
  return run;
}

/** Erases each person (a person the history never wrote has no key: 404) and waits for every erasure to end. */
async function eraseAndWait(emails: readonly string[], admin: string) {
  const subjects = await Promise.all(emails.map((e) => store.keys.subjectIdOf(e)));
  for (const subjectId of subjects) {
    const reply = await api('POST', `/data-subjects/${subjectId}/erasure`, admin, { reason: 'asked' });
    expect([202, 404]).toContain(reply.status);
  }
  for (const subjectId of subjects) {
    await eventually(async () => {
      const got = await api('GET', `/data-subjects/${subjectId}`, admin);
      if (got.status === 404) return;
      expect((got.body.erasures as { status: string }[]).every((e) => e.status === 'completed')).toBe(true);
    }, 60_000);
  }
}

async function expectRebuiltAll(run: Run) {
  for (const tenantId of run.tenants) {
    const streamId = `tenant-${tenantId}`;
    await expectRebuilt(tenantsV1, 'TenantsV1Table', streamId, `TENANT#${tenantId}`);
    for (const p of platformProjections) await expectRebuilt(p, p.table, streamId, `STREAM#${streamId}`);
  }
}

async function expectNoTrace(run: Run, erased: readonly string[]) {
  const places = {
    tables: await scanAll(),
    eventBridge: JSON.stringify(runtime.eventBridge.accepted),
    logs: logs.join('\n'),
    identity: JSON.stringify(await Promise.all(run.people.map((p) => directory.user(p.userId)))),
  };
  for (const email of erased) {
    for (const [where, text] of Object.entries(places)) {
      for (const form of leakForms(email)) {
        expect(text.includes(form), `${email} as ${form} in ${where}`).toBe(false);
      }
    }
  }
}

/** Everyone else the history wrote: their values read back, decrypted, through the access export. */
async function expectOthersIntact(run: Run, erasedIndexes: readonly number[], admin: string) {
  for (const [i, person] of run.people.entries()) {
    if (erasedIndexes.includes(i) || !run.written.has(i)) continue;
    const subjectId = await store.keys.subjectIdOf(person.email);
    await eventually(async () => {
      const got = await api('GET', `/data-subjects/${subjectId}`, admin);
      expect(got).toMatchObject({ status: 200, body: { status: 'held' } });
      expect(JSON.stringify(got.body.streams)).toContain(person.email);
    });
  }
}

describe('erasure, end to end', () => {
  it("leaves no trace of an erased person anywhere stored or sent, keeps everyone else's, and read models equal a rebuild", async () => {
    const admin = token('admin-1', ['Admin']);
    const op = token('op-1', ['Operator']);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(localPart, { minLength: PEOPLE, maxLength: PEOPLE, selector: (s) => s.toLowerCase() }),
        fc.array(step, { minLength: 3, maxLength: 12 }),
        fc.uniqueArray(fc.nat(PEOPLE - 1), { minLength: 1, maxLength: 2 }),
        async (locals, steps, erasedIndexes) => {
          const run = await newRun(locals, op);
          for (const s of steps) await play(run, s, op);
          const streams = run.tenants.map((t) => `tenant-${t}`);
          const before = await Promise.all(streams.map(commitItems));
          const erased = erasedIndexes.map((i) => run.people[i]?.email as string);
          await eraseAndWait(erased, admin);
          await eventually(() => expectRebuiltAll(run), 30_000);
          const after = await Promise.all(streams.map(commitItems));
          for (const [i, items] of before.entries()) expect(after[i]?.slice(0, items.length)).toEqual(items);
          await expectNoTrace(run, erased);
          await expectOthersIntact(run, erasedIndexes, admin);
        },
      ),
      { numRuns: 4 },
    );
  }, 600_000);
});
