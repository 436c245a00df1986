/**
 * IAM policy evaluation for identity-based policies, as the local runtime needs it: explicit Deny wins, otherwise
 * any Allow, otherwise implicit deny.
 *
 * Checked against the IAM User Guide (via the `search` tool):
 * - "IAM JSON policy elements: Resource": wildcards `*` and `?` work within each colon-separated ARN segment, and
 *   a `*` that is the last character of a segment may expand beyond the colon boundaries.
 * - "IAM JSON policy elements: Condition operators": a key missing from the request context makes a condition
 *   false, except for negated operators (`StringNotLike`, `ArnNotLike`, ...) where it makes it true; `...IfExists`
 *   and `Null` test presence.
 *
 * Conditions are evaluated only against keys the caller puts in the request context. A key the context does not
 * mention is *unknown* (not "absent"): an Allow statement whose condition cannot be decided does not apply, and a
 * Deny statement whose condition cannot be decided does apply, so an unknown never allows anything silently.
 * A key present in the context with the value `undefined` is known to be absent from the request.
 */

export type StringOrList = string | readonly string[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: StringOrList;
  readonly NotAction?: StringOrList;
  readonly Resource?: StringOrList;
  readonly NotResource?: StringOrList;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Id?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** Condition keys known for one request (names are case-insensitive). `undefined`: known to be absent. */
export type RequestContext = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Where a statement is: its policy (`Id`, else `#<index>`), its index in that policy, and its `Sid` if any. */
export interface StatementRef {
  readonly policy: string;
  readonly statement: number;
  readonly sid?: string;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
  /** Which rule decided: an explicit Deny, an Allow, or no Allow at all (implicit deny). */
  readonly decidedBy: 'explicit-deny' | 'allow' | 'implicit-deny';
  /** Every Allow statement that matched (empty unless allowed): what the IAM coverage check counts as used. */
  readonly allowedBy: readonly StatementRef[];
}

/** A policy that AWS itself would reject (or that still holds unresolved CloudFormation intrinsics). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Whether `action` (e.g. `dynamodb:PutItem`) matches an Action pattern: wildcards, case-insensitive. */
export function matchesAction(pattern: string, action: string): boolean {
  return compile(pattern, 'action').test(action);
}

/** Whether `resource` (an ARN, or `*`) matches a Resource pattern: wildcards per ARN segment, case-sensitive. */
export function matchesResource(pattern: string, resource: string): boolean {
  return compile(pattern, 'resource').test(resource);
}

/**
 * Evaluates identity policies for one request. Throws {@link PolicyError} for a malformed policy (AWS would not
 * have accepted it), never returns "allowed" for something it could not decide.
 */
export function evaluate(
  policies: readonly PolicyDocument[],
  action: string,
  resource: string,
  context: RequestContext = {},
): Decision {
  const lookup = contextLookup(context);
  const allows: { where: string; ref: StatementRef }[] = [];
  const skipped: string[] = [];
  for (const [p, policy] of policies.entries()) {
    for (const [s, statement] of statementsOf(policy, p).entries()) {
      const where = statementLabel(policy, p, statement, s);
      const outcome = statementOutcome(policy, statement, where, action, resource, lookup);
      if (outcome.kind === 'no-match') continue;
      if (statement.Effect === 'Deny') {
        return {
          allowed: false,
          decidedBy: 'explicit-deny',
          reason: denyReason(where, outcome),
          allowedBy: [],
        };
      }
      if (outcome.kind === 'match') allows.push({ where, ref: statementRef(policy, p, statement, s) });
      else skipped.push(`${where}: ${outcome.why}`);
    }
  }
  const [first] = allows;
  if (first !== undefined) {
    return {
      allowed: true,
      decidedBy: 'allow',
      reason: `allowed by ${first.where}`,
      allowedBy: allows.map((a) => a.ref),
    };
  }
  const base = `no identity-based policy allows the ${action} action on ${resource}`;
  const reason =
    skipped.length > 0 ? `${base} (Allow not applied, condition not evaluable: ${skipped.join('; ')})` : base;
  return { allowed: false, decidedBy: 'implicit-deny', reason, allowedBy: [] };
}

/** The statements of policy documents, as {@link evaluate} numbers them (a single Statement object is #0). */
export function statementsOfPolicies(
  policies: readonly PolicyDocument[],
): { ref: StatementRef; statement: PolicyStatement }[] {
  return policies.flatMap((policy, p) =>
    statementsOf(policy, p).map((statement, s) => ({
      ref: statementRef(policy, p, statement, s),
      statement,
    })),
  );
}

function statementRef(
  policy: PolicyDocument,
  p: number,
  statement: PolicyStatement,
  s: number,
): StatementRef {
  const ref = { policy: policy.Id ?? `#${p}`, statement: s };
  return statement.Sid === undefined ? ref : { ...ref, sid: statement.Sid };
}

function denyReason(where: string, outcome: Outcome): string {
  if (outcome.kind === 'unknown') {
    return `explicit deny in ${where} (its condition cannot be evaluated locally, so it is treated as applying: ${outcome.why})`;
  }
  return `explicit deny in ${where}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

type Outcome = { kind: 'match' } | { kind: 'no-match' } | { kind: 'unknown'; why: string };
const MATCH: Outcome = { kind: 'match' };
const NO_MATCH: Outcome = { kind: 'no-match' };

function statementsOf(policy: PolicyDocument, index: number): readonly PolicyStatement[] {
  if (typeof policy !== 'object' || policy === null)
    throw new PolicyError(`policy #${index} is not an object`);
  const statement: unknown = policy.Statement;
  if (Array.isArray(statement)) return statement as PolicyStatement[];
  if (typeof statement === 'object' && statement !== null) return [statement as PolicyStatement];
  throw new PolicyError(`policy #${index} has no Statement`);
}

function statementLabel(policy: PolicyDocument, p: number, statement: PolicyStatement, s: number): string {
  const policyName = policy.Id ? `policy ${policy.Id}` : `policy #${p}`;
  return `${policyName} statement ${statement.Sid ? `"${statement.Sid}"` : `#${s}`}`;
}

function statementOutcome(
  policy: PolicyDocument,
  statement: PolicyStatement,
  where: string,
  action: string,
  resource: string,
  lookup: Lookup,
): Outcome {
  validateStatement(statement, where);
  if (!actionApplies(statement, where, action)) return NO_MATCH;
  const variables = policy.Version === '2012-10-17';
  const resourceOutcome = resourceApplies(statement, where, resource, variables ? lookup : undefined);
  if (resourceOutcome.kind === 'no-match') return NO_MATCH;
  const conditionOutcome =
    statement.Condition === undefined
      ? MATCH
      : evaluateCondition(statement.Condition, where, lookup, variables);
  return combine([resourceOutcome, conditionOutcome]);
}

function validateStatement(statement: PolicyStatement, where: string): void {
  if (typeof statement !== 'object' || statement === null) throw new PolicyError(`${where} is not an object`);
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new PolicyError(
      `${where}: Effect must be "Allow" or "Deny", got ${JSON.stringify(statement.Effect)}`,
    );
  }
  const has = (key: string) => Object.hasOwn(statement, key);
  if (has('Principal') || has('NotPrincipal')) {
    throw new PolicyError(`${where}: an identity-based policy cannot have Principal or NotPrincipal`);
  }
  if (has('Action') === has('NotAction')) {
    throw new PolicyError(`${where}: needs exactly one of Action and NotAction`);
  }
  if (has('Resource') === has('NotResource')) {
    throw new PolicyError(`${where}: needs exactly one of Resource and NotResource`);
  }
}

function actionApplies(statement: PolicyStatement, where: string, action: string): boolean {
  if (statement.Action !== undefined) {
    return stringsOf(statement.Action, `${where} Action`).some((p) => matchesAction(p, action));
  }
  return !stringsOf(statement.NotAction, `${where} NotAction`).some((p) => matchesAction(p, action));
}

function resourceApplies(
  statement: PolicyStatement,
  where: string,
  resource: string,
  lookup: Lookup | undefined,
): Outcome {
  const negated = statement.Resource === undefined;
  const element = negated ? 'NotResource' : 'Resource';
  const patterns = stringsOf(negated ? statement.NotResource : statement.Resource, `${where} ${element}`);
  const outcomes = patterns.map((pattern) => patternOutcome(pattern, resource, lookup));
  const any = anyOf(outcomes);
  if (!negated) return any;
  if (any.kind === 'unknown') return any;
  return any.kind === 'match' ? NO_MATCH : MATCH;
}

function patternOutcome(pattern: string, resource: string, lookup: Lookup | undefined): Outcome {
  if (lookup === undefined || !pattern.includes('${'))
    return matchesResource(pattern, resource) ? MATCH : NO_MATCH;
  const units = expandVariables(pattern, lookup);
  if (units === 'absent') return NO_MATCH;
  if (typeof units === 'string') return { kind: 'unknown', why: units };
  return toRegExp(units, 'resource').test(resource) ? MATCH : NO_MATCH;
}

function stringsOf(value: unknown, where: string): readonly string[] {
  const list = Array.isArray(value) ? value : [value];
  for (const item of list) {
    if (typeof item !== 'string') {
      throw new PolicyError(
        `${where}: expected a string or a list of strings, got ${JSON.stringify(item)}` +
          ' (resolve CloudFormation intrinsics before evaluating)',
      );
    }
  }
  return list as string[];
}

/** AND: any no-match wins, then any unknown, else match. */
function combine(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.some((o) => o.kind === 'no-match')) return NO_MATCH;
  return outcomes.find((o) => o.kind === 'unknown') ?? MATCH;
}

/** OR: any match wins, then any unknown, else no-match. */
function anyOf(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.some((o) => o.kind === 'match')) return MATCH;
  return outcomes.find((o) => o.kind === 'unknown') ?? NO_MATCH;
}

// ---------------------------------------------------------------------------------------------------------------
// Wildcards

/** action: case-insensitive; resource: ARN-segment aware, case-sensitive; glob: plain, case-sensitive. */
type Mode = 'action' | 'resource' | 'glob';
type Unit = { kind: 'char'; ch: string; literal: boolean } | { kind: 'star' } | { kind: 'one' };

const cache = new Map<string, RegExp>();

function compile(pattern: string, mode: Mode): RegExp {
  const key = `${mode}\u0000${pattern}`;
  let regex = cache.get(key);
  if (regex === undefined) {
    regex = toRegExp(unitsOf(pattern), mode);
    cache.set(key, regex);
  }
  return regex;
}

function unitsOf(text: string, literal = false): Unit[] {
  return [...text].map((ch): Unit => {
    if (!literal && ch === '*') return { kind: 'star' };
    if (!literal && ch === '?') return { kind: 'one' };
    return { kind: 'char', ch, literal };
  });
}

/**
 * Action patterns: `*` any run (including none), `?` one character, case-insensitive. Resource patterns that are
 * ARNs: the same within a colon-separated segment, and a `*` ending a segment may also span colons; other resource
 * patterns (`*`) match as plain wildcards. Resource matching is case-sensitive.
 */
function toRegExp(units: readonly Unit[], mode: Mode): RegExp {
  const arn = mode === 'resource' && startsWithArn(units);
  const parts = units.map((unit, i) => {
    if (unit.kind === 'char') return escapeRegExp(unit.ch);
    if (!arn) return unit.kind === 'star' ? '.*' : '.';
    if (unit.kind === 'one') return '[^:]';
    return endsSegment(units, i) ? '.*' : '[^:]*';
  });
  return new RegExp(`^${parts.join('')}$`, mode === 'action' ? 'is' : 's');
}

function startsWithArn(units: readonly Unit[]): boolean {
  return units
    .slice(0, 4)
    .map((u) => (u.kind === 'char' ? u.ch : '\u0000'))
    .join('')
    .startsWith('arn:');
}

function endsSegment(units: readonly Unit[], i: number): boolean {
  const next = units[i + 1];
  return next === undefined || (next.kind === 'char' && next.ch === ':' && !next.literal);
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

// ---------------------------------------------------------------------------------------------------------------
// Policy variables (only in policies with "Version": "2012-10-17")

/** The pattern with `${...}` variables substituted (values match literally), 'absent', or why it is unknown. */
function expandVariables(pattern: string, lookup: Lookup): Unit[] | 'absent' | string {
  const units: Unit[] = [];
  let rest = pattern;
  while (rest.length > 0) {
    const start = rest.indexOf('${');
    const end = start < 0 ? -1 : rest.indexOf('}', start);
    if (start < 0 || end < 0) {
      units.push(...unitsOf(rest));
      break;
    }
    units.push(...unitsOf(rest.slice(0, start)));
    const value = variableValue(rest.slice(start + 2, end), lookup);
    if (value === 'absent' || value.kind === 'unknown') return value === 'absent' ? 'absent' : value.why;
    units.push(...unitsOf(value.text, true));
    rest = rest.slice(end + 1);
  }
  return units;
}

function variableValue(
  body: string,
  lookup: Lookup,
): { kind: 'text'; text: string } | { kind: 'unknown'; why: string } | 'absent' {
  if (body === '*' || body === '?' || body === '$') return { kind: 'text', text: body };
  const [name = '', fallback] = body.split(',', 2).map((s) => s.trim());
  const found = lookup(name);
  if (!found.known) return { kind: 'unknown', why: `policy variable \${${name}} is not known locally` };
  if (typeof found.value === 'string') return { kind: 'text', text: found.value };
  const quoted = fallback === undefined ? undefined : /^'(.*)'$/.exec(fallback)?.[1];
  if (found.value === undefined && quoted !== undefined) return { kind: 'text', text: quoted };
  if (found.value === undefined) return 'absent';
  return { kind: 'unknown', why: `policy variable \${${name}} is multi-valued` };
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions

type Found = { known: false } | { known: true; value: string | readonly string[] | undefined };
type Lookup = (key: string) => Found;

function contextLookup(context: RequestContext): Lookup {
  const byLowerName = new Map<string, string | readonly string[] | undefined>();
  for (const [key, value] of Object.entries(context)) byLowerName.set(key.toLowerCase(), value);
  return (key) => {
    const lower = key.toLowerCase();
    return byLowerName.has(lower) ? { known: true, value: byLowerName.get(lower) } : { known: false };
  };
}

interface Operator {
  readonly name: string;
  readonly base: string;
  readonly set: 'ForAnyValue' | 'ForAllValues' | undefined;
  readonly ifExists: boolean;
}

function parseOperator(name: string): Operator {
  const [qualifier, rest] = name.includes(':') ? name.split(':', 2) : [undefined, name];
  const set = qualifier === 'ForAnyValue' || qualifier === 'ForAllValues' ? qualifier : undefined;
  const body = rest ?? name;
  const ifExists = body.endsWith('IfExists');
  const base = ifExists ? body.slice(0, -'IfExists'.length) : body;
  return { name, base: qualifier !== undefined && set === undefined ? name : base, set, ifExists };
}

function evaluateCondition(condition: unknown, where: string, lookup: Lookup, variables: boolean): Outcome {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    throw new PolicyError(`${where}: Condition must be an object`);
  }
  const outcomes: Outcome[] = [];
  for (const [operatorName, block] of Object.entries(condition)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      throw new PolicyError(`${where}: Condition.${operatorName} must be an object of keys`);
    }
    const operator = parseOperator(operatorName);
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      const values = conditionValues(raw, `${where} Condition.${operatorName}.${key}`);
      if (variables && values.some((v) => v.includes('${'))) {
        outcomes.push({
          kind: 'unknown',
          why: `policy variables in condition values (${key}) are not supported locally`,
        });
      } else {
        outcomes.push(evaluateKey(operator, key, values, lookup));
      }
    }
  }
  return combine(outcomes);
}

function conditionValues(raw: unknown, where: string): readonly string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((item) => {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
      return String(item);
    throw new PolicyError(`${where}: condition values must be strings, numbers or booleans`);
  });
}

type Test = (requestValue: string, policyValues: readonly string[]) => boolean;

const POSITIVE: Readonly<Record<string, Test>> = {
  StringEquals: (v, ps) => ps.includes(v),
  StringEqualsIgnoreCase: (v, ps) => ps.some((p) => p.toLowerCase() === v.toLowerCase()),
  StringLike: (v, ps) => ps.some((p) => compile(p, 'glob').test(v)),
  ArnEquals: (v, ps) => ps.some((p) => matchesResource(p, v)),
  ArnLike: (v, ps) => ps.some((p) => matchesResource(p, v)),
  NumericEquals: numeric((a, b) => a === b),
  NumericLessThan: numeric((a, b) => a < b),
  NumericLessThanEquals: numeric((a, b) => a <= b),
  NumericGreaterThan: numeric((a, b) => a > b),
  NumericGreaterThanEquals: numeric((a, b) => a >= b),
  Bool: (v, ps) => ps.some((p) => p.toLowerCase() === v.toLowerCase()),
};

const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
};

function numeric(compare: (a: number, b: number) => boolean): Test {
  return (v, ps) => ps.some((p) => compare(Number(v), Number(p)) && !Number.isNaN(Number(v)));
}

function evaluateKey(operator: Operator, key: string, values: readonly string[], lookup: Lookup): Outcome {
  const found = lookup(key);
  if (!found.known) return { kind: 'unknown', why: `condition key ${key} is not known locally` };
  if (operator.base === 'Null' && operator.set === undefined && !operator.ifExists) {
    const isNull = found.value === undefined || (Array.isArray(found.value) && found.value.length === 0);
    return values.some((v) => (v.toLowerCase() === 'true') === isNull) ? MATCH : NO_MATCH;
  }
  const positiveName = NEGATED[operator.base] ?? operator.base;
  const positive = POSITIVE[positiveName];
  if (positive === undefined) {
    return { kind: 'unknown', why: `condition operator ${operator.name} is not supported locally` };
  }
  const negated = positiveName !== operator.base;
  const test: Test = negated ? (v, ps) => !positive(v, ps) : positive;
  return valueOutcome(operator, key, found.value, (v) => test(v, values), negated);
}

function valueOutcome(
  operator: Operator,
  key: string,
  value: string | readonly string[] | undefined,
  test: (v: string) => boolean,
  negated: boolean,
): Outcome {
  const asBool = (b: boolean) => (b ? MATCH : NO_MATCH);
  if (operator.set === 'ForAllValues') return asBool(listOf(value).every(test));
  if (operator.set === 'ForAnyValue') return asBool(listOf(value).some(test));
  if (value === undefined) return asBool(operator.ifExists || negated);
  if (typeof value !== 'string') {
    return { kind: 'unknown', why: `condition key ${key} is multi-valued; use ForAnyValue/ForAllValues` };
  }
  return asBool(test(value));
}

function listOf(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}
