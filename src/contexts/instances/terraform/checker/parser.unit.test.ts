import { describe, expect, it } from 'vitest';
import type { Node } from './ast.js';
import { parseExpression, parseTemplate } from './parser.js';

const v = (name: string): Node => ({ kind: 'variable', name });
const a = (target: Node, name: string): Node => ({ kind: 'attr', target, name });
const lit = (value: string | number | boolean | null): Node => ({ kind: 'literal', value });
const tpl = (...parts: Array<string | Node>): Node => ({ kind: 'template', parts });
const D = '$';

describe('parseTemplate', () => {
  it('splits literal text and interpolations', () => {
    expect(parseTemplate(`service/${D}{local.cluster}/x`)).toEqual(
      tpl('service/', a(v('local'), 'cluster'), '/x'),
    );
  });

  it('keeps $${ and %%{ as literal text and rejects directives', () => {
    expect(parseTemplate(`a$${D}{b} %%{c}`)).toEqual(tpl(`a${D}{b} %{c}`));
    expect(() => parseTemplate('%{ if x }y%{ endif }')).toThrow(/directives/);
  });

  it('parses templates nested in string literals inside interpolations', () => {
    const node = parseTemplate(`${D}{format("%s-${D}{upper(var.env)}", local.name)}`);
    expect(node).toEqual(
      tpl({
        kind: 'call',
        name: 'format',
        expand: false,
        args: [
          tpl('%s-', { kind: 'call', name: 'upper', expand: false, args: [a(v('var'), 'env')] }),
          a(v('local'), 'name'),
        ],
      }),
    );
  });

  it('decodes escapes in quoted strings', () => {
    expect(parseTemplate(`${D}{"a\\"b\\n\\u00e9"}`)).toEqual(tpl(tpl('a"b\né')));
  });

  it('reports an unterminated interpolation', () => {
    expect(() => parseTemplate(`${D}{local.x`)).toThrow(/expected "}"/);
  });
});

describe('parseExpression', () => {
  it('parses indexes, nested calls and attribute access on call results', () => {
    expect(parseExpression('jsondecode(data.x.y.secret_string).username')).toEqual(
      a(
        {
          kind: 'call',
          name: 'jsondecode',
          expand: false,
          args: [a(a(a(v('data'), 'x'), 'y'), 'secret_string')],
        },
        'username',
      ),
    );
    expect(parseExpression('local.m[local.k][0]')).toEqual({
      kind: 'index',
      target: { kind: 'index', target: a(v('local'), 'm'), key: a(v('local'), 'k') },
      key: lit(0),
    });
  });

  it('follows operator precedence and associativity', () => {
    expect(parseExpression('a + 1 * b - 2')).toEqual({
      kind: 'binary',
      op: '-',
      left: {
        kind: 'binary',
        op: '+',
        left: v('a'),
        right: { kind: 'binary', op: '*', left: lit(1), right: v('b') },
      },
      right: lit(2),
    });
    expect(parseExpression('!x || y == 2 ? "a" : -1')).toEqual({
      kind: 'conditional',
      cond: {
        kind: 'binary',
        op: '||',
        left: { kind: 'unary', op: '!', operand: v('x') },
        right: { kind: 'binary', op: '==', left: v('y'), right: lit(2) },
      },
      whenTrue: tpl('a'),
      whenFalse: lit(-1),
    });
  });

  it('treats dashes as part of identifiers, as HCL does', () => {
    expect(parseExpression('local.my-name')).toEqual(a(v('local'), 'my-name'));
  });

  it('parses tuples, objects, splats and for expressions', () => {
    expect(parseExpression('[1, "x", true, null]')).toEqual({
      kind: 'tuple',
      items: [lit(1), tpl('x'), lit(true), lit(null)],
    });
    expect(parseExpression('{ a = 1, "b": local.c }')).toEqual({
      kind: 'object',
      items: [
        { key: lit('a'), value: lit(1) },
        { key: tpl('b'), value: a(v('local'), 'c') },
      ],
    });
    expect(parseExpression('aws_lb.x[*].arn')).toEqual({
      kind: 'splat',
      target: a(v('aws_lb'), 'x'),
      steps: [{ kind: 'attr', name: 'arn' }],
    });
    expect(parseExpression('{ for k, v in local.m : k => upper(v) if v != "" }')).toMatchObject({
      kind: 'for',
      object: true,
      keyVar: 'k',
      valueVar: 'v',
      key: v('k'),
    });
    expect(parseExpression('[for s in var.list : s]')).toMatchObject({
      kind: 'for',
      object: false,
      valueVar: 's',
    });
  });

  it('rejects what it does not understand', () => {
    expect(() => parseExpression('<<EOT\nx\nEOT')).toThrow(/heredocs/);
    expect(() => parseExpression('f(a b)')).toThrow(/expected "," or "\)"/);
    expect(() => parseExpression('a +')).toThrow(/unexpected end/);
  });
});
