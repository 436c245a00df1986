/** Terraform's type system, as far as the checker needs it. */
export type TfType =
  | { readonly kind: 'string' | 'number' | 'bool' | 'dynamic' | 'null' }
  | { readonly kind: 'list' | 'set' | 'map'; readonly elem: TfType }
  | { readonly kind: 'tuple'; readonly elems: readonly TfType[] }
  | {
      readonly kind: 'object';
      readonly attrs: Readonly<Record<string, TfType>>;
      /** Attributes the schema marks sensitive (their values must never reach an output). */
      readonly sensitive?: ReadonlySet<string>;
    };

export const STRING: TfType = { kind: 'string' };
export const NUMBER: TfType = { kind: 'number' };
export const BOOL: TfType = { kind: 'bool' };
export const DYNAMIC: TfType = { kind: 'dynamic' };
export const NULL: TfType = { kind: 'null' };
export const listOf = (elem: TfType): TfType => ({ kind: 'list', elem });

/** A type constraint as `terraform providers schema -json` writes it: "string", ["list", "string"], ... */
export function fromSchemaType(json: unknown): TfType {
  if (json === 'string' || json === 'number' || json === 'bool' || json === 'dynamic') return { kind: json };
  if (Array.isArray(json)) {
    const [kind, arg] = json as [unknown, unknown];
    if (kind === 'list' || kind === 'set' || kind === 'map') return { kind, elem: fromSchemaType(arg) };
    if (kind === 'object' && arg && typeof arg === 'object') {
      const attrs = Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, fromSchemaType(v)]));
      return { kind: 'object', attrs };
    }
    if (kind === 'tuple' && Array.isArray(arg)) return { kind: 'tuple', elems: arg.map(fromSchemaType) };
  }
  return DYNAMIC;
}

export function describe(type: TfType): string {
  switch (type.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${type.kind}(${describe(type.elem)})`;
    case 'tuple':
      return `tuple([${type.elems.map(describe).join(', ')}])`;
    case 'object':
      return `object({${Object.keys(type.attrs).sort().join(', ')}})`;
    default:
      return type.kind;
  }
}

/** The element type of a collection (a tuple's elements unified), or undefined for anything else. */
export function elementOf(type: TfType): TfType | undefined {
  switch (type.kind) {
    case 'list':
    case 'set':
    case 'map':
      return type.elem;
    case 'tuple':
      return unify(type.elems);
    case 'object':
      return unify(Object.values(type.attrs));
    case 'dynamic':
      return DYNAMIC;
    default:
      return undefined;
  }
}

/** The common type of several values (what a conditional or a collection of them yields). */
export function unify(types: readonly TfType[]): TfType {
  const [first, ...rest] = types.filter((t) => t.kind !== 'null');
  if (!first) return DYNAMIC;
  if (rest.every((t) => JSON.stringify(t) === JSON.stringify(first))) return first;
  if ([first, ...rest].every((t) => t.kind === 'string' || t.kind === 'number' || t.kind === 'bool'))
    return STRING;
  return DYNAMIC;
}

/**
 * Why `actual` cannot be used where `expected` is required, or undefined if it can. Terraform converts numbers
 * and bools to strings; the checker is stricter than Terraform on the way back (a string where a number or bool
 * is expected is an error even if it would parse), since the generator writes typed values.
 */
export function mismatch(expected: TfType, actual: TfType): string | undefined {
  if (actual.kind === 'dynamic' || actual.kind === 'null' || expected.kind === 'dynamic') return undefined;
  const fail = `expected ${describe(expected)}, got ${describe(actual)}`;
  switch (expected.kind) {
    case 'string':
      return ['string', 'number', 'bool'].includes(actual.kind) ? undefined : fail;
    case 'number':
    case 'bool':
      return actual.kind === expected.kind ? undefined : fail;
    case 'list':
    case 'set':
      return collectionMismatch(expected.elem, actual, ['list', 'set', 'tuple'], fail);
    case 'map':
      return collectionMismatch(expected.elem, actual, ['map', 'object'], fail);
    case 'object':
      return objectMismatch(expected, actual, fail);
    case 'tuple':
      return actual.kind === 'tuple' || actual.kind === 'list' ? undefined : fail;
    default:
      return fail;
  }
}

function collectionMismatch(elem: TfType, actual: TfType, kinds: string[], fail: string): string | undefined {
  if (!kinds.includes(actual.kind)) return fail;
  const members =
    actual.kind === 'tuple'
      ? actual.elems
      : actual.kind === 'object'
        ? Object.values(actual.attrs)
        : [elementOf(actual) ?? DYNAMIC];
  for (const [i, member] of members.entries()) {
    const inner = mismatch(elem, member);
    if (inner) return `element ${i}: ${inner}`;
  }
  return undefined;
}

function objectMismatch(expected: Extract<TfType, { kind: 'object' }>, actual: TfType, fail: string) {
  if (actual.kind === 'map') return undefined;
  if (actual.kind !== 'object') return fail;
  for (const [name, type] of Object.entries(actual.attrs)) {
    const want = expected.attrs[name];
    if (!want) return `unexpected attribute "${name}"`;
    const inner = mismatch(want, type);
    if (inner) return `attribute "${name}": ${inner}`;
  }
  return undefined;
}
