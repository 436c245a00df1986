/**
 * IAM coverage: least privilege proven both ways from the decisions the local runtime recorded during the test
 * run (function-roles.ts writes them as JSON lines). It fails when
 * - a call was denied that no test expected (a grant is missing: it would fail in AWS too), or
 * - an action of an Allow statement of a function's role was never used by any recorded call (a grant no test
 *   proves is needed), unless an allow-list entry names it with the reason it cannot be exercised locally.
 * An allow-list entry that matches no grant, or a grant that is used after all, is stale and fails too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PACKAGED_STAGE,
  type RecordedDecision,
  restageName,
  statementLabel,
  templateRoles,
} from './function-roles.js';
import { packagedTemplate } from './packaged-template.js';
import {
  matchesAction,
  matchesResource,
  type PolicyDocument,
  type StatementRef,
  statementsOfPolicies,
} from './policy.js';

export interface RoleUnderTest {
  /** The function's name in serverless.yml. */
  readonly function: string;
  readonly policies: readonly PolicyDocument[];
}

/** A grant the suites cannot exercise locally, kept on purpose: says which, and why. */
export interface AllowListEntry {
  /** A function name, or `*` for every function. */
  readonly function: string;
  /** The action exactly as the statement writes it, e.g. `logs:PutLogEvents`. */
  readonly action: string;
  readonly why: string;
}

export interface Grant {
  readonly function: string;
  readonly statement: string;
  readonly action: string;
  readonly resources: readonly string[];
}

export interface CoverageReport {
  readonly ok: boolean;
  readonly decisions: number;
  readonly unexpectedDenials: readonly RecordedDecision[];
  readonly unusedGrants: readonly Grant[];
  readonly allowListed: readonly (Grant & { why: string })[];
  readonly staleAllowList: readonly (AllowListEntry & { problem: string })[];
  readonly usedGrants: number;
  /**
   * Information, not a failure: resources of used grants no call touched (e.g. a table version no suite switched
   * to). The check is per action, as IAM statements are written per action; these say where it is thinner.
   */
  readonly untouchedResources: readonly { grant: Grant; resource: string }[];
}

/** Reads every `*.jsonl` file of `dir` (one decision per line). */
export function readDecisions(dir: string): RecordedDecision[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as RecordedDecision),
    );
}

export function checkCoverage(
  roles: readonly RoleUnderTest[],
  decisions: readonly RecordedDecision[],
  allowList: readonly AllowListEntry[] = [],
): CoverageReport {
  const unexpectedDenials = dedupe(
    decisions.filter((d) => !d.allowed && !d.expected),
    (d) => `${d.function} ${d.action} ${d.resource}`,
  );
  const grants = classifyGrants(grantsOf(roles), usedStatements(decisions), allowList);
  const staleAllowList = dedupe(
    [
      ...grants.stale,
      ...allowList
        .filter((entry) => !grants.matchedEntries.has(entry))
        .map((entry) => ({ ...entry, problem: 'no role has this grant' })),
    ],
    (e) => `${e.function} ${e.action} ${e.problem}`,
  );
  return {
    ok: unexpectedDenials.length === 0 && grants.unused.length === 0 && staleAllowList.length === 0,
    decisions: decisions.length,
    unexpectedDenials,
    unusedGrants: grants.unused,
    allowListed: grants.allowListed,
    staleAllowList,
    usedGrants: grants.used,
    untouchedResources: untouchedResources(grantsOf(roles), decisions, grants.unused, allowList),
  };
}

function untouchedResources(
  grants: readonly Grant[],
  decisions: readonly RecordedDecision[],
  unused: readonly Grant[],
  allowList: readonly AllowListEntry[],
): { grant: Grant; resource: string }[] {
  const skipped = (g: Grant) =>
    unused.includes(g) ||
    allowList.some((e) => (e.function === '*' || e.function === g.function) && e.action === g.action);
  return grants
    .filter((g) => !skipped(g) && !g.action.startsWith('NotAction:'))
    .flatMap((grant) => {
      const calls = decisions.filter(
        (d) =>
          d.allowed &&
          d.function === grant.function &&
          d.statements.includes(grant.statement) &&
          matchesAction(grant.action, d.action),
      );
      return grant.resources
        .filter(
          (resource) =>
            !calls.some((d) => matchesResource(resource, restageName(d.resource, d.stage, PACKAGED_STAGE))),
        )
        .map((resource) => ({ grant, resource }));
    });
}

function classifyGrants(
  grants: readonly Grant[],
  usedBy: ReadonlyMap<string, readonly string[]>,
  allowList: readonly AllowListEntry[],
) {
  const unused: Grant[] = [];
  const allowListed: (Grant & { why: string })[] = [];
  const stale: (AllowListEntry & { problem: string })[] = [];
  const matchedEntries = new Set<AllowListEntry>();
  let used = 0;
  for (const grant of grants) {
    const entry = allowList.find(
      (e) => (e.function === '*' || e.function === grant.function) && e.action === grant.action,
    );
    if (entry) matchedEntries.add(entry);
    const actions = usedBy.get(`${grant.function} ${grant.statement}`) ?? [];
    const isUsed = grant.action.startsWith('NotAction:')
      ? actions.length > 0
      : actions.some((action) => matchesAction(grant.action, action));
    if (isUsed) used += 1;
    if (isUsed && entry) stale.push({ ...entry, problem: `${grant.function} uses it (${grant.statement})` });
    else if (entry) allowListed.push({ ...grant, why: entry.why });
    else if (!isUsed) unused.push(grant);
  }
  return { unused, allowListed, stale, matchedEntries, used };
}

/** The report as lines for a person: failures first, each saying what to do. */
export function formatReport(report: CoverageReport): string[] {
  const lines: string[] = [];
  for (const d of report.unexpectedDenials) {
    lines.push(
      `DENIED (no test expected it): ${d.function} ${d.action} on ${d.resource} (${d.client} ${d.command}): ` +
        `${d.reason}. Grant it in the function's permissions, or mark the test's scope expectDenials.`,
    );
  }
  for (const g of report.unusedGrants) {
    lines.push(
      `UNUSED GRANT: ${g.function} statement ${g.statement} action ${g.action} on ${g.resources.join(', ')}: ` +
        'no recorded call used it. Add a test for the path that needs it, remove it, or allow-list it with why.',
    );
  }
  for (const e of report.staleAllowList) {
    lines.push(`STALE ALLOW-LIST ENTRY: ${e.function} ${e.action}: ${e.problem}. Remove the entry.`);
  }
  lines.push(
    `IAM coverage: ${report.decisions} distinct decisions recorded; ${report.usedGrants} grants used, ` +
      `${report.allowListed.length} allow-listed, ${report.unusedGrants.length} unused; ` +
      `${report.unexpectedDenials.length} unexpected denials.`,
  );
  const listed = new Map<string, string[]>();
  for (const g of report.allowListed) {
    const key = `${g.action}: ${g.why}`;
    listed.set(key, [...(listed.get(key) ?? []), g.function]);
  }
  for (const [key, functions] of listed) lines.push(`  allow-listed ${key} (${functions.join(', ')})`);
  for (const { grant, resource } of report.untouchedResources) {
    lines.push(
      `  note: ${grant.function} ${grant.action} (${grant.statement}) was never used on ${resource}`,
    );
  }
  return lines;
}

/** Every action of every Allow statement of every role, with its resources (for the message). */
export function grantsOf(roles: readonly RoleUnderTest[]): Grant[] {
  return roles.flatMap((role) =>
    statementsOfPolicies(role.policies)
      .filter(({ statement }) => statement.Effect === 'Allow')
      .flatMap(({ ref, statement }) => {
        const resources = listOf(statement.Resource ?? statement.NotResource);
        const actions =
          statement.Action === undefined
            ? [`NotAction:${listOf(statement.NotAction).join(',')}`]
            : listOf(statement.Action);
        return actions.map((action) => ({
          function: role.function,
          statement: label(ref),
          action,
          resources,
        }));
      }),
  );
}

const label = (ref: StatementRef) => statementLabel(ref);

/** `<function> <statement>` -> the actions of the allowed calls that statement allowed. */
function usedStatements(decisions: readonly RecordedDecision[]): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const d of decisions) {
    if (!d.allowed) continue;
    for (const statement of d.statements) {
      const key = `${d.function} ${statement}`;
      used.set(key, [...(used.get(key) ?? []), d.action]);
    }
  }
  return used;
}

function listOf(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The whole check as `npm test` runs it: the packaged `dev` template's roles against the recorded decisions. */
export function runCoverageCheck(options: {
  root: string;
  decisionsDir: string;
  allowList: readonly AllowListEntry[];
}): CoverageReport {
  const roles = templateRoles(packagedTemplate({ root: options.root, stage: PACKAGED_STAGE }));
  return checkCoverage(roles, readDecisions(options.decisionsDir), options.allowList);
}
