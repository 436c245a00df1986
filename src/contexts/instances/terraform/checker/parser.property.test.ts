import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, Node } from './ast.js';
import { parseExpression, parseTemplate } from './parser.js';

const KEYWORDS = new Set(['true', 'false', 'null', 'for', 'in', 'if']);
const identifier = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,5}[a-z0-9_]?$/).filter((s) => !KEYWORDS.has(s));
const OPS: BinaryOp[] = ['||', '&&', '==', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%'];

/** Template text: anything, but a `$` never directly before an interpolation (HCL cannot write that). */
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });

const nodes = fc.letrec<{ node: Node; template: Node }>((tie) => ({
  template: fc
    .array(fc.tuple(text, tie('node')), { maxLength: 2 })
    .chain((pairs) => fc.tuple(fc.constant(pairs), fc.option(text, { nil: undefined })))
    .map(([pairs, tail]) => {
      const parts: Array<string | Node> = [];
      for (const [t, n] of pairs) parts.push(t.endsWith('$') ? `${t}x` : t, n);
      if (tail !== undefined || parts.length === 0) parts.push(tail ?? '');
      return { kind: 'template', parts } as Node;
    }),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.nat(), fc.boolean(), fc.constant(null)).map((value): Node => ({ kind: 'literal', value })),
    identifier.map((name): Node => ({ kind: 'variable', name })),
    tie('template'),
    fc.record({ kind: fc.constant('attr'), target: tie('node'), name: identifier }) as fc.Arbitrary<Node>,
    fc.record({ kind: fc.constant('index'), target: tie('node'), key: tie('node') }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('call'),
      name: identifier,
      args: fc.array(tie('node'), { maxLength: 3 }),
      expand: fc.constant(false),
    }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('tuple'),
      items: fc.array(tie('node'), { maxLength: 3 }),
    }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('object'),
      items: fc.uniqueArray(
        fc.record({ key: identifier.map((k): Node => ({ kind: 'literal', value: k })), value: tie('node') }),
        { maxLength: 3, selector: (item) => JSON.stringify(item.key) },
      ),
    }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('unary'),
      op: fc.constantFrom('!', '-'),
      operand: tie('node'),
    }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('binary'),
      op: fc.constantFrom(...OPS),
      left: tie('node'),
      right: tie('node'),
    }) as fc.Arbitrary<Node>,
    fc.record({
      kind: fc.constant('conditional'),
      cond: tie('node'),
      whenTrue: tie('node'),
      whenFalse: tie('node'),
    }) as fc.Arbitrary<Node>,
  ),
})).node;

const escapeText = (s: string, quoted: boolean): string =>
  [...s.replaceAll('${', '$${').replaceAll('%{', '%%{')]
    .map((ch) => {
      if (!quoted) return ch;
      if (ch === '"' || ch === '\\') return `\\${ch}`;
      const code = ch.codePointAt(0) ?? 0;
      return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
    })
    .join('');

/** HCL text for a node, fully parenthesised (parentheses leave no trace in the tree). */
function print(node: Node, quoted = true): string {
  switch (node.kind) {
    case 'literal':
      return String(node.value);
    case 'template': {
      const body = node.parts
        .map((p) => (typeof p === 'string' ? escapeText(p, quoted) : `\${${print(p)}}`))
        .join('');
      return quoted ? `"${body}"` : body;
    }
    case 'variable':
      return node.name;
    case 'attr':
      return `(${print(node.target)}).${node.name}`;
    case 'index':
      return `(${print(node.target)})[${print(node.key)}]`;
    case 'call':
      return `${node.name}(${node.args.map((a) => print(a)).join(', ')})`;
    case 'tuple':
      return `[${node.items.map((i) => print(i)).join(', ')}]`;
    case 'object':
      return `{ ${node.items.map((i) => `${String((i.key as { value: string }).value)} = ${print(i.value)}`).join(', ')} }`;
    case 'unary':
      return `${node.op}(${print(node.operand)})`;
    case 'binary':
      return `(${print(node.left)} ${node.op} ${print(node.right)})`;
    case 'conditional':
      return `(${print(node.cond)} ? ${print(node.whenTrue)} : ${print(node.whenFalse)})`;
    default:
      throw new Error(`not generated: ${node.kind}`);
  }
}

describe('the expression parser (round trip)', () => {
  it('parses printed expressions back to the same tree', () => {
    fc.assert(
      fc.property(nodes, (node) => {
        expect(parseExpression(print(node))).toEqual(node);
      }),
      { numRuns: 400 },
    );
  });

  it('parses a JSON string value (an unquoted template) back to the same parts', () => {
    const templates = nodes.filter((n) => n.kind === 'template');
    fc.assert(
      fc.property(templates, (node) => {
        expect(parseTemplate(print(node, false))).toEqual(node);
      }),
      { numRuns: 200 },
    );
  });
});
