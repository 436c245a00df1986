import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml, type YamlValue } from './yaml.js';

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('a', 'b', ' ', '\n', ':', '#', '-', '$', '{', '}', "'", '"', '|', '1', '.'),
  }),
  fc.constantFrom(
    'on',
    'yes',
    'null',
    '~',
    '1e3',
    '0x1F',
    '-',
    '- a',
    'a: b',
    'a #b',
    `${'$'}{{ inputs.x }}`,
    'x\n',
    'x\ny\n',
  ),
);
const value: fc.Arbitrary<YamlValue> = fc.letrec<{ value: YamlValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('toYaml', () => {
  it('reads back as the same value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(parse(toYaml(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });
});
