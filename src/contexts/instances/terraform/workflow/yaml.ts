/**
 * A small YAML emitter for JSON-like values (what a GitHub workflow is): block mappings and sequences, block
 * literals for multi-line strings, plain scalars where YAML reads them back unchanged, double quotes elsewhere.
 * Keys keep their insertion order (a workflow reads top-down). Checked by a round-trip property test.
 */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue };

export function toYaml(value: YamlValue): string {
  return `${lines(value, 0).join('\n')}\n`;
}

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;
const NUMBER_LIKE = /^[-+.]?(\d|\.(inf|nan))/i;
const PLAIN = /^[A-Za-z0-9_$/(][^\n\r\t"#]*$/;

export function scalar(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  const plain =
    PLAIN.test(value) &&
    !value.includes(': ') &&
    !value.includes(' #') &&
    !value.endsWith(':') &&
    !value.endsWith(' ') &&
    !RESERVED.test(value) &&
    !NUMBER_LIKE.test(value) &&
    !hasSpecialCharacter(value, '');
  return plain ? value : JSON.stringify(value);
}

/** Control characters, line and paragraph separators, BOM: YAML needs them escaped (except `allowed`). */
function hasSpecialCharacter(value: string, allowed: string): boolean {
  return [...value].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    const special = code < 0x20 || (code >= 0x7f && code <= 0x9f) || [0x2028, 0x2029, 0xfeff].includes(code);
    return special && !allowed.includes(ch);
  });
}

const pad = (indent: number) => ' '.repeat(indent);
const isCollection = (v: YamlValue): v is readonly YamlValue[] | { readonly [key: string]: YamlValue } =>
  v !== null && typeof v === 'object';
const isEmpty = (v: YamlValue) => isCollection(v) && Object.keys(v).length === 0;

/** A multi-line string as a block literal, when YAML gives exactly the same text back. */
function blockLiteral(value: string, indent: number): string[] | undefined {
  if (
    !value.includes('\n') ||
    /^[ \n]/.test(value) ||
    /[\r\t]/.test(value) ||
    / \n|\n\n$|\n +\n/.test(value)
  ) {
    return undefined;
  }
  if (hasSpecialCharacter(value, '\n')) return undefined;
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const header = value.endsWith('\n') ? '|' : '|-';
  return [header, ...body.split('\n').map((line) => (line ? pad(indent) + line : ''))];
}

function entry(prefix: string, value: YamlValue, indent: number): string[] {
  if (typeof value === 'string') {
    const literal = blockLiteral(value, indent + 2);
    if (literal) return [`${prefix} ${literal[0]}`, ...literal.slice(1)];
  }
  if (!isCollection(value)) return [`${prefix} ${scalar(value)}`];
  if (isEmpty(value)) return [`${prefix} ${Array.isArray(value) ? '[]' : '{}'}`];
  return [prefix, ...lines(value, indent + 2)];
}

function lines(value: YamlValue, indent: number): string[] {
  if (!isCollection(value) || isEmpty(value))
    return [pad(indent) + (isCollection(value) ? (Array.isArray(value) ? '[]' : '{}') : scalar(value))];
  if (Array.isArray(value)) return value.flatMap((item: YamlValue) => sequenceItem(item, indent));
  return Object.entries(value).flatMap(([key, v]) => entry(`${pad(indent)}${scalar(key)}:`, v, indent));
}

function sequenceItem(item: YamlValue, indent: number): string[] {
  if (!isCollection(item) || isEmpty(item) || Array.isArray(item))
    return entry(`${pad(indent)}-`, item, indent);
  const [first, ...rest] = lines(item, indent + 2);
  return [`${pad(indent)}- ${(first ?? '').trimStart()}`, ...rest];
}
