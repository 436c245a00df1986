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
import type { SdkContext } from './sdk-actions.js';
import { type FunctionPolicies, policiesFromTemplate } from './template-policies.js';

/** The account and region the local runtime's ARNs live in (DynamoDB Local's own account is rewritten to this). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'af-south-1';
/**
 * The workload accounts of the local runtime (dev, sit, prod: the instances context's LOCAL_WORKLOAD_ACCOUNTS), what
 * the stack's WorkloadAccountIds parameter (the SSM list `/bbws/<stage>/workload-account-ids`) holds locally.
 * Repeated, not imported (this module may not reach into a context): kept in step by
 * src/contexts/instances/local/workload-accounts.unit.test.ts.
 */
export const LOCAL_WORKLOAD_ACCOUNT_IDS: readonly string[] = ['111111111111', '222222222222', '333333333333'];
/** Values of the template's parameters that AWS reads from SSM at deploy time, as the local runtime has them. */
export const LOCAL_TEMPLATE_PARAMETERS: Readonly<Record<string, string>> = {
  WorkloadAccountIds: LOCAL_WORKLOAD_ACCOUNT_IDS.join(','),
};
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
  /**
   * For KMS Decrypt without KeyId: the key a ciphertext blob belongs to (AWS reads it from the blob), as the local
   * KMS stand-in's blob format says; key ids as {@link localKmsKeyId} names them. Without it such a call is refused.
   */
  kmsKeyOfCiphertext?: SdkContext['kmsKeyOfCiphertext'];
  /** The packaged template (of PACKAGED_STAGE), when the caller has read it already; else read here. */
  template?: CloudFormationTemplate | undefined;
}

export const statementLabel = (ref: StatementRef): string => `${ref.policy}#${ref.statement}`;

/** The role of every function of the runtime, as the packaged template defines it. */
export function localFunctionRoles(options: LocalRolesOptions): Map<string, FunctionRole> {
  const template = restage(
    options.template ?? packagedTemplate({ root: options.root, stage: PACKAGED_STAGE }),
    PACKAGED_STAGE,
    options.stage,
  );
  const policies = templateFunctionPolicies(template, options.stage);
  const kmsAliases = localKmsAliases(template);
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
      kmsAliases,
      ...(options.kmsKeyOfCiphertext ? { kmsKeyOfCiphertext: options.kmsKeyOfCiphertext } : {}),
    };
    const check = commandChecker(documents, identity, (decision) => record(name, decision));
    roles.set(name, { functionName: name, check, principalArn: found.roleArn });
  }
  return roles;
}

/** The id of a KMS key of the template (logical id) locally: what a local KMS stand-in must call that key. */
export const localKmsKeyId = (logicalId: string): string => `local-${logicalId}`;

/** Ids CloudFormation generates at deploy time (user pools, KMS keys), as the local runtime names them. */
export function localPhysicalIds(template: CloudFormationTemplate): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::KMS::Key') ids[id] = localKmsKeyId(id);
    if (resource.Type === 'AWS::Cognito::UserPool')
      ids[id] = id === 'UserPool' ? LOCAL_USER_POOL_ID : `${LOCAL_REGION}_local${id}`;
  }
  return ids;
}

/** KMS aliases of the template (`alias/...` -> local key id): a call naming a key by alias is checked on the key. */
export function localKmsAliases(template: CloudFormationTemplate): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::KMS::Alias') continue;
    const name = resource.Properties?.AliasName;
    const target = (resource.Properties?.TargetKeyId as { Ref?: unknown } | undefined)?.Ref;
    if (typeof name === 'string' && typeof target === 'string') aliases[name] = localKmsKeyId(target);
  }
  return aliases;
}

/** Every function's policies in a (restaged) packaged template, resolved for the local account and region. */
export function templateFunctionPolicies(
  template: CloudFormationTemplate,
  stage: string,
): FunctionPolicies[] {
  return Object.values(
    policiesFromTemplate(template, {
      stage,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      parameters: LOCAL_TEMPLATE_PARAMETERS,
      physicalIds: localPhysicalIds(template),
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
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return restageName(value, from, to);
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(template) as CloudFormationTemplate;
}

/** One name or ARN renamed from stage `from` to `to`, as {@link restage} renames the template's. */
export function restageName(text: string, from: string, to: string): string {
  if (from === to) return text;
  // Roles of other accounts (granted in any account, `iam::*:`) are not the stack's: `bbws-control-dev` is the dev
  // workload environment's role whatever the stage.
  if (/^arn:(?:\$\{AWS::Partition\}|[\w-]+):iam::\*:role\//.test(text)) return text;
  // Names end in `-<stage>`; the secrets kept outside the stack are named `bbws/<stage>/<name>`.
  return text
    .replace(new RegExp(`-${escapeRegExp(from)}(?=$|[-:/.])`, 'g'), `-${to}`)
    .replace(new RegExp(`(?<=:secret:bbws/)${escapeRegExp(from)}(?=/)`, 'g'), to);
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
  kmsKeyOfCiphertext?: LocalRolesOptions['kmsKeyOfCiphertext'];
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
  template?: CloudFormationTemplate,
): Map<string, FunctionRole> | undefined {
  if (options.enforce === false) return undefined;
  installSdkEnforcement();
  return localFunctionRoles({
    root,
    stage,
    functions,
    template,
    decisionsDir: options.decisionsDir ?? process.env[IAM_DECISIONS_ENV],
    onDecision: options.onDecision,
    adjustPolicies: options.adjustPolicies,
    kmsKeyOfCiphertext: options.kmsKeyOfCiphertext,
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

/**
 * The environment that points the handlers' identity directory at a Cognito-API endpoint (a test's stand-in) with
 * the user pool id the local roles name, so the Cognito calls are checked against the packaged roles like any other.
 */
export function cognitoEnvironment(endpoint: string): Record<string, string> {
  return {
    IDENTITY_MODE: 'cognito',
    COGNITO_USER_POOL_ID: LOCAL_USER_POOL_ID,
    // the SDK's service-specific endpoint variable (serviceId "Cognito Identity Provider")
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint,
  };
}
