/**
 * Typed building blocks for Terraform's JSON syntax. A file is a plain object; the only HCL that appears is the
 * expression inside a `${...}` interpolation, and those are built by the functions below, never by hand-written
 * templates, so every reference in a generated file comes from one of `local`, `attr`, `data`, `call`, ...
 */

export type TfValue =
  | string
  | number
  | boolean
  | null
  | readonly TfValue[]
  | { readonly [key: string]: TfValue };
export type TfBody = { readonly [key: string]: TfValue };

/** An HCL expression (the text between `${` and `}`); a branded string so that a literal cannot pass for one. */
export type Expr = string & { readonly __expr: unique symbol };
const expr = (text: string): Expr => text as Expr;

export const local = (name: string): Expr => expr(`local.${name}`);
export const attr = (type: string, name: string, attribute: string): Expr =>
  expr(`${type}.${name}.${attribute}`);
export const data = (type: string, name: string, ...path: string[]): Expr =>
  expr(['data', type, name, ...path].join('.'));
export const get = (target: Expr, attribute: string): Expr => expr(`${target}.${attribute}`);
export const index = (target: Expr, key: Expr): Expr => expr(`${target}[${key}]`);
export const call = (fn: string, ...args: Expr[]): Expr => expr(`${fn}(${args.join(', ')})`);
export const plus = (...terms: Expr[]): Expr => expr(terms.join(' + '));
export const times = (a: Expr, b: Expr): Expr => expr(`${a} * ${b}`);
export const num = (n: number): Expr => expr(String(n));
/** An HCL string literal; JSON string escapes are valid HCL escapes, `${` and `%{` are doubled. */
export const str = (s: string): Expr =>
  expr(JSON.stringify(s).replaceAll('${', '$${').replaceAll('%{', '%%{'));
export const COUNT_INDEX = expr('count.index');

/** A whole-value interpolation: the attribute takes the expression's type (a number stays a number). */
export const interp = (e: Expr): string => `\${${e}}`;

/** A literal string inside a template: `${` and `%{` would start an interpolation or a directive. */
export const literal = (s: string): string => s.replaceAll('${', '$${').replaceAll('%{', '%%{');

/** A string template of literal parts and expressions, e.g. `template('service/', cluster, '/', name)`. */
export function template(...parts: Array<string | { readonly expr: Expr }>): string {
  parts.forEach((part, i) => {
    // HCL has no way to write a literal `$` right before `${`: `$${` is the escape for a literal `${`.
    if (typeof part === 'string' && part.endsWith('$') && typeof parts[i + 1] === 'object') {
      throw new Error(`template part ${JSON.stringify(part)} cannot end with "$" before an interpolation`);
    }
  });
  return parts.map((part) => (typeof part === 'string' ? literal(part) : interp(part.expr))).join('');
}
export const x = (e: Expr): { readonly expr: Expr } => ({ expr: e });

/** A reference used in `depends_on` (JSON syntax takes the bare reference, without `${}`). */
export const address = (type: string, name: string): string => `${type}.${name}`;

/** Stable output: keys sorted at every level, two-space indentation, one trailing newline. */
export function renderJson(value: TfValue): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: TfValue): TfValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const body = value as TfBody;
    return Object.fromEntries(
      Object.keys(body)
        .sort()
        .map((key) => [key, sortKeys(body[key] as TfValue)]),
    );
  }
  return value;
}
