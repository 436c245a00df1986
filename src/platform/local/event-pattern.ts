/**
 * The EventBridge event-pattern language, for routing events locally by the rules declared in serverless.yml:
 * exact values, prefix, suffix, anything-but (values, prefix, suffix, equals-ignore-case, wildcard), numeric,
 * exists, equals-ignore-case, wildcard, cidr (IPv4) and $or. A field holding an array matches when any element
 * does. No npm library implements it; the tests follow AWS's documented examples.
 */
export type Pattern = { [key: string]: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') return (rule as Pattern[]).some((alternative) => matchesPattern(alternative, event));
    const field = isObject(event) ? event[key] : undefined;
    if (Array.isArray(rule)) return matchLeaf(rule, field);
    if (isObject(rule)) return matchesPattern(rule, isObject(field) ? field : undefined);
    throw new Error(`invalid event pattern at "${key}": expected an array or an object`);
  });
}

function matchLeaf(rules: unknown[], field: unknown): boolean {
  const values = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return rules.some((rule) => {
    if (isObject(rule) && 'exists' in rule)
      return rule.exists ? field !== undefined && !isObject(field) : field === undefined;
    return values.some((value) => matchOne(rule, value));
  });
}

function matchOne(rule: unknown, value: unknown): boolean {
  if (!isObject(rule))
    return typeof rule === 'number' && typeof value === 'number' ? rule === value : rule === value;
  const [operator, operand] = Object.entries(rule)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, (v, p) => v.startsWith(p));
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(String(operand)).test(value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand as (string | number)[], value);
    case 'anything-but':
      return !anyOf(operand, value);
    case 'cidr':
      return typeof value === 'string' && inCidr(String(operand), value);
    default:
      throw new Error(`unsupported event pattern operator ${String(operator)}`);
  }
}

/** anything-but operand: a value, a list of values, or one of prefix/suffix/equals-ignore-case/wildcard. */
function anyOf(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return operand.some((o) => anyOf(o, value));
  if (!isObject(operand)) return matchOne(operand, value);
  const [operator, inner] = Object.entries(operand)[0] ?? [];
  if (Array.isArray(inner)) return inner.some((i) => matchOne({ [String(operator)]: i }, value));
  return matchOne(operand, value);
}

function affix(operand: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (isObject(operand) && 'equals-ignore-case' in operand) {
    return test(value.toLowerCase(), String(operand['equals-ignore-case']).toLowerCase());
  }
  return test(value, String(operand));
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function numeric(conditions: (string | number)[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = Number(conditions[i + 1]);
    const ok = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[String(conditions[i])];
    if (!ok) return false;
  }
  return true;
}

function inCidr(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const toNumber = (address: string) =>
    address.split('.').reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
  const mask =
    bits === undefined ? 0xffffffff : Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return (
    /^\d+\.\d+\.\d+\.\d+$/.test(ip) && (toNumber(ip) & mask) >>> 0 === (toNumber(base ?? '') & mask) >>> 0
  );
}
