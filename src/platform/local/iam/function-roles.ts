/**
 * Each function's execution role for the local runtime, read from the packaged CloudFormation template (what would
 * be deployed), and the record of every decision made with it (for the IAM coverage check, scripts/iam-coverage.mjs).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionRole } from './enforcement.js';
import { currentScope, installSdkEnforcement } from './enforcement.js';
import { commandChecker, type IamDecision } from './middleware.js';
import { type CloudFormationTemplate, packagedTemplate } from './packaged-template.js';
import type { PolicyDocument, StatementRef } from './policy.js';
import { type FunctionPolicies, policiesFromTemplate } from './template-policies.js';

/** The account and region the local runtime's ARNs live in (DynamoDB Local's own account is rewritten to this). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'af-south-1';
/** The user pool id CloudFormation would generate: locally a fixed stand-in. */
export const LOCAL_USER_POOL_ID = `${LOCAL_REGION}_bbwsLocal`;
/** The stage the local runtime packages (the only deployable stage it renames to its own). */
export const PACKAGED_STAGE = 'dev';

/** One IAM decision as the coverage check reads it (one JSON line each). */
export interface RecordedDecision {
  readonly function: string;
  readonly stage: string;
  readonly client: string;
  readonly command: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  /** The Allow statements that matched, as `<policy name>#<statement index>` ({@link statementLabel}). */
  readonly statements: readonly string[];
  /** Denied inside a scope that expected denials (a test provoking one on purpose). */
  readonly expected: boolean;
  readonly reason: string;
}

export interface LocalRolesOptions {
  /** Repository root (serverless.yml). */
  root: string;
  /** The runtime's stage: names in the packaged `dev` template are renamed to it. */
  stage: string;
  /** The functions the runtime runs: each must have a role in the template. */
  functions: readonly string[];
  /** A folder to append each distinct decision to, as JSON lines (one file per runtime). */
  decisionsDir?: string | undefined;
  onDecision?: ((decision: RecordedDecision) => void) | undefined;
  /**
   * Tests only: replaces a function's policies (e.g. without one statement). Decisions made with changed policies
   * say nothing about the template's, so they are never written to `decisionsDir`.
   */
  adjustPolicies?:
    | ((functionName: string, policies: readonly PolicyDocument[]) => PolicyDocument[])
    | undefined;
}

export const statementLabel = (ref: StatementRef): string => `${ref.policy}#${ref.statement}`;

/** The role of every function of the runtime, as the packaged template defines it. */
export function localFunctionRoles(options: LocalRolesOptions): Map<string, FunctionRole> {
  const template = restage(
    packagedTemplate({ root: options.root, stage: PACKAGED_STAGE }),
    PACKAGED_STAGE,
    options.stage,
  );
  const policies = templateFunctionPolicies(template, options.stage);
  const record = decisionRecorder(options);
  const roles = new Map<string, FunctionRole>();
  for (const name of options.functions) {
    const found = functionNamed(policies, name);
    const documents = options.adjustPolicies?.(name, found.policies) ?? found.policies;
    const identity = {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      roleName: found.roleName,
      functionName: found.functionName,
    };
    const check = commandChecker(documents, identity, (decision) => record(name, decision));
    roles.set(name, { functionName: name, check });
  }
  return roles;
}

/** Every function's policies in a (restaged) packaged template, resolved for the local account and region. */
export function templateFunctionPolicies(template: unknown, stage: string): FunctionPolicies[] {
  return Object.values(
    policiesFromTemplate(template, {
      stage,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      physicalIds: { UserPool: LOCAL_USER_POOL_ID },
    }).byLogicalId,
  );
}

/** The template's function whose FunctionName (`<service>-<stage>-<name>`) ends in `-<name>`. */
export function functionNamed(policies: readonly FunctionPolicies[], name: string): FunctionPolicies {
  const matches = policies.filter((p) => p.functionName.endsWith(`-${name}`));
  if (matches.length !== 1 || matches[0] === undefined) {
    throw new Error(
      `function ${name}: expected one function named *-${name} in the packaged template, found ` +
        `${matches.map((m) => m.functionName).join(', ') || 'none'} (of ${policies.map((p) => p.functionName).join(', ')})`,
    );
  }
  return matches[0];
}

/**
 * The template as it would be packaged for `to`: every physical name ending in `-<from>` (tables, queues, the
 * bus, the pool) or containing `-<from>-` (functions, log groups) or `-<from>.` (FIFO queues) renamed, as the
 * local wiring renames them.
 */
export function restage(template: CloudFormationTemplate, from: string, to: string): CloudFormationTemplate {
  if (from === to) return template;
  const pattern = new RegExp(`-${escapeRegExp(from)}(?=$|[-:/.])`, 'g');
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(pattern, `-${to}`);
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(template) as CloudFormationTemplate;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decisionRecorder(options: LocalRolesOptions): (functionName: string, decision: IamDecision) => void {
  const file =
    options.decisionsDir && !options.adjustPolicies
      ? join(options.decisionsDir, `decisions-${process.pid}-${Date.now().toString(36)}.jsonl`)
      : undefined;
  if (file && options.decisionsDir) mkdirSync(options.decisionsDir, { recursive: true });
  const seen = new Set<string>();
  return (functionName, decision) => {
    const recorded: RecordedDecision = {
      function: functionName,
      stage: options.stage,
      client: decision.client,
      command: decision.command,
      action: decision.action,
      resource: decision.resource,
      allowed: decision.allowed,
      statements: decision.allowedBy.map(statementLabel),
      expected: !decision.allowed && currentScope()?.expectDenials === true,
      reason: decision.reason,
    };
    options.onDecision?.(recorded);
    if (!file) return;
    const line = JSON.stringify(recorded);
    if (seen.has(line)) return;
    seen.add(line);
    appendFileSync(file, `${line}\n`);
  };
}

/** The environment variable naming the folder decisions are appended to (the test run's global setup sets it). */
export const IAM_DECISIONS_ENV = 'BBWS_IAM_DECISIONS_DIR';

/** The local runtime's IAM settings. */
export interface LocalIamOptions {
  /** On unless false: every SDK call an invocation makes is checked against its function's role. */
  enforce?: boolean;
  /** Where to append decisions (default: `$BBWS_IAM_DECISIONS_DIR`, if set). */
  decisionsDir?: string;
  onDecision?: LocalRolesOptions['onDecision'];
  adjustPolicies?: LocalRolesOptions['adjustPolicies'];
}

/**
 * What the local runtime enforces: each function's role from the packaged template, with the SDK hook installed;
 * undefined when enforcement is switched off (`iam: { enforce: false }`, never by default).
 */
export function runtimeRoles(
  root: string,
  stage: string,
  functions: readonly string[],
  options: LocalIamOptions = {},
): Map<string, FunctionRole> | undefined {
  if (options.enforce === false) return undefined;
  installSdkEnforcement();
  return localFunctionRoles({
    root,
    stage,
    functions,
    decisionsDir: options.decisionsDir ?? process.env[IAM_DECISIONS_ENV],
    onDecision: options.onDecision,
    adjustPolicies: options.adjustPolicies,
  });
}

/** Every function's role in the packaged template, by its serverless.yml name (`<service>-<stage>-<name>`). */
export function templateRoles(
  template: CloudFormationTemplate,
  stage = PACKAGED_STAGE,
): { function: string; policies: readonly PolicyDocument[] }[] {
  return templateFunctionPolicies(template, stage).map((fp) => {
    const at = fp.functionName.indexOf(`-${stage}-`);
    if (at < 0) throw new Error(`function ${fp.functionName} is not named <service>-${stage}-<name>`);
    return { function: fp.functionName.slice(at + stage.length + 2), policies: fp.policies };
  });
}
