import { type BinaryOp, type Node, ParseError, type Step } from './ast.js';
import { Cursor } from './cursor.js';
import { forExpression, named, object, tuple } from './parser-constructors.js';

/**
 * A recursive-descent parser for HCL expressions and string templates (the JSON syntax evaluates every string
 * as a template). Templates nest: `${format("%s-${x}", y)}` holds a quoted template inside an interpolation.
 */

/** A JSON string value as Terraform reads it: literal text and `${...}` interpolations (`$${` escapes). */
export function parseTemplate(text: string): Node {
  const cursor = new Cursor(text);
  const node = templateUntil(cursor, false);
  if (!cursor.done()) throw new ParseError('unexpected text after template', cursor.pos);
  return node;
}

/** A bare expression (JSON syntax uses them, without `${}`, in `depends_on`, `ignore_changes`, `count`...). */
export function parseExpression(text: string): Node {
  const cursor = new Cursor(text);
  const node = expression(cursor);
  cursor.skipSpace();
  if (!cursor.done()) throw new ParseError(`unexpected "${cursor.peek()}"`, cursor.pos);
  return node;
}

function templateUntil(c: Cursor, quoted: boolean): Node {
  const parts: Array<string | Node> = [];
  let text = '';
  while (!c.done() && !(quoted && c.peek() === '"')) {
    if (c.startsWith('${')) {
      if (text) parts.push(text);
      text = '';
      parts.push(interpolation(c));
    } else {
      text += templateChar(c, quoted);
    }
  }
  if (text || parts.length === 0) parts.push(text);
  return { kind: 'template', parts };
}

/** The literal text of the next template character: `$${` and `%%{` are escapes, `%{` starts a directive. */
function templateChar(c: Cursor, quoted: boolean): string {
  if (c.eat('$${')) return '${';
  if (c.eat('%%{')) return '%{';
  if (c.startsWith('%{'))
    throw new ParseError('template directives (%{...}) are not supported by the checker', c.pos);
  return quoted && c.peek() === '\\' ? escapeSequence(c) : c.next();
}

function interpolation(c: Cursor): Node {
  c.expect('${');
  c.eat('~');
  const node = expression(c);
  c.skipSpace();
  c.eat('~');
  c.expect('}');
  return node;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function escapeSequence(c: Cursor): string {
  const start = c.pos;
  c.next();
  const ch = c.next();
  const simple = ESCAPES[ch];
  if (simple !== undefined) return simple;
  const width = ch === 'u' ? 4 : ch === 'U' ? 8 : 0;
  const hex = c.take(width);
  if (width === 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new ParseError(`invalid escape "\\${ch}"`, start);
  return String.fromCodePoint(Number.parseInt(hex, 16));
}

export function expression(c: Cursor): Node {
  const cond = binary(c, 0);
  c.skipSpace();
  if (!c.eat('?')) return cond;
  const whenTrue = expression(c);
  c.skipSpace();
  c.expect(':');
  return { kind: 'conditional', cond, whenTrue, whenFalse: expression(c) };
}

/** Operator levels, loosest first. */
const LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<=', '>=', '<', '>'],
  ['+', '-'],
  ['*', '/', '%'],
];

function binary(c: Cursor, level: number): Node {
  const ops = LEVELS[level];
  if (!ops) return unary(c);
  let left = binary(c, level + 1);
  for (;;) {
    c.skipSpace();
    const op = ops.find((candidate) => c.startsWith(candidate) && !(candidate === '>' && c.startsWith('>=')));
    if (!op || c.startsWith('=>')) return left;
    c.take(op.length);
    left = { kind: 'binary', op, left, right: binary(c, level + 1) };
  }
}

function unary(c: Cursor): Node {
  c.skipSpace();
  if (c.eat('!')) return { kind: 'unary', op: '!', operand: unary(c) };
  if (c.peek() === '-' && !/[0-9]/.test(c.peek(1))) {
    c.next();
    return { kind: 'unary', op: '-', operand: unary(c) };
  }
  return postfix(c, primary(c));
}

function postfix(c: Cursor, base: Node): Node {
  let node = base;
  for (;;) {
    if (c.startsWith('.*') || c.startsWith('[*]')) {
      c.take(c.startsWith('.*') ? 2 : 3);
      return { kind: 'splat', target: node, steps: splatSteps(c) };
    }
    const step = traversalStep(c);
    if (!step) return node;
    node = step.kind === 'attr' ? { kind: 'attr', target: node, name: step.name } : { ...step, target: node };
  }
}

function splatSteps(c: Cursor): Step[] {
  const steps: Step[] = [];
  for (let step = traversalStep(c); step; step = traversalStep(c)) steps.push(step);
  return steps;
}

function traversalStep(c: Cursor): Step | undefined {
  if (c.peek() === '.' && /[A-Za-z_]/.test(c.peek(1))) {
    c.next();
    return { kind: 'attr', name: c.identifier() };
  }
  if (c.peek() === '.' && /[0-9]/.test(c.peek(1))) {
    c.next();
    return { kind: 'index', key: { kind: 'literal', value: Number(c.match(/[0-9]+/)) } };
  }
  if (c.peek() === '[' && !c.startsWith('[*]')) {
    c.next();
    const key = expression(c);
    c.skipSpace();
    c.expect(']');
    return { kind: 'index', key };
  }
  return undefined;
}

function primary(c: Cursor): Node {
  c.skipSpace();
  const ch = c.peek();
  if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(c.peek(1)))) {
    return { kind: 'literal', value: Number(c.match(/-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/)) };
  }
  if (ch === '"') {
    c.next();
    const node = templateUntil(c, true);
    c.expect('"');
    return node;
  }
  if (ch === '(') {
    c.next();
    const node = expression(c);
    c.skipSpace();
    c.expect(')');
    return node;
  }
  if (ch === '[') return c.keywordAfter('[', 'for') ? forExpression(c, false) : tuple(c);
  if (ch === '{') return c.keywordAfter('{', 'for') ? forExpression(c, true) : object(c);
  if (c.startsWith('<<')) throw new ParseError('heredocs are not supported by the checker', c.pos);
  if (/[A-Za-z_]/.test(ch)) return named(c);
  throw new ParseError(ch ? `unexpected "${ch}"` : 'unexpected end of expression', c.pos);
}
