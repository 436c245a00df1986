import { type Node, ParseError } from './ast.js';
import type { Cursor } from './cursor.js';
import { expression } from './parser.js';

/** Calls, tuples, objects and `for` expressions: the constructors of the expression grammar. */

export function named(c: Cursor): Node {
  const name = c.identifier();
  if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
  if (name === 'null') return { kind: 'literal', value: null };
  if (c.peek() !== '(') return { kind: 'variable', name };
  c.next();
  const args: Node[] = [];
  let expand = false;
  for (c.skipSpace(); !c.eat(')'); c.skipSpace()) {
    args.push(expression(c));
    c.skipSpace();
    if (c.eat('...')) expand = true;
    c.skipSpace();
    if (!c.eat(',') && c.peek() !== ')') throw new ParseError('expected "," or ")" in call', c.pos);
  }
  return { kind: 'call', name, args, expand };
}

export function tuple(c: Cursor): Node {
  c.expect('[');
  const items: Node[] = [];
  for (c.skipSpace(); !c.eat(']'); c.skipSpace()) {
    items.push(expression(c));
    c.skipSpace();
    if (!c.eat(',') && c.peek() !== ']') throw new ParseError('expected "," or "]" in tuple', c.pos);
  }
  return { kind: 'tuple', items };
}

export function object(c: Cursor): Node {
  c.expect('{');
  const items: Array<{ key: Node; value: Node }> = [];
  for (c.skipSpace(); !c.eat('}'); c.skipSpace()) {
    const key = objectKey(c);
    c.skipSpace();
    if (!c.eat('=') && !c.eat(':')) throw new ParseError('expected "=" or ":" after object key', c.pos);
    items.push({ key, value: expression(c) });
    c.skipSpace();
    c.eat(',');
  }
  return { kind: 'object', items };
}

function objectKey(c: Cursor): Node {
  if (/[A-Za-z_]/.test(c.peek())) {
    const save = c.pos;
    const name = c.identifier();
    c.skipSpace();
    if (c.peek() === '=' || c.peek() === ':') return { kind: 'literal', value: name };
    c.pos = save;
  }
  return expression(c);
}

export function forExpression(c: Cursor, isObject: boolean): Node {
  c.next();
  c.skipSpace();
  c.expect('for');
  c.skipSpace();
  const first = c.identifier();
  c.skipSpace();
  const second = c.eat(',') ? identifierAfterSpace(c) : undefined;
  c.skipSpace();
  c.expect('in');
  const collection = expression(c);
  c.skipSpace();
  c.expect(':');
  const keyOrValue = expression(c);
  c.skipSpace();
  const key = isObject ? keyOrValue : undefined;
  if (isObject) c.expect('=>');
  const value = isObject ? expression(c) : keyOrValue;
  c.skipSpace();
  c.eat('...');
  c.skipSpace();
  const cond = c.eat('if') ? expression(c) : undefined;
  c.skipSpace();
  c.expect(isObject ? '}' : ']');
  const [keyVar, valueVar] = second === undefined ? [undefined, first] : [first, second];
  return { kind: 'for', object: isObject, keyVar, valueVar, collection, key, value, cond };
}

function identifierAfterSpace(c: Cursor): string {
  c.skipSpace();
  return c.identifier();
}
