import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogue } from '#src/contexts/catalogue.js';
import { personal } from '#src/platform/domain/personal-data.js';
import { EventCatalogue } from './catalogue.js';
import { withPeopleNoted } from './personal-data.fixtures.js';
import { occurrencesOf, personalFieldsOf } from './personal-fields.js';

const privacyCatalogue = withPeopleNoted(catalogue);
const contact = { subject: 'tenantContact', identifiedBy: 'self', placeholder: 'erased@erased.invalid' };

describe('personal fields in the catalogue', () => {
  it("lists tenant management's personal fields for every type and schema version, and no others", () => {
    const listed = catalogue.definitions.flatMap((d) =>
      d.schemas.flatMap((_, i) =>
        catalogue.personalFields(d.type, i + 1).map((f) => ({ type: d.type, v: i + 1, ...f })),
      ),
    );
    expect(listed).toEqual([
      { type: 'TENANT_CREATED', v: 1, path: 'contactEmail', ...contact },
      { type: 'TENANT_CREATED', v: 2, path: 'contactEmail', ...contact },
      { type: 'TENANT_UPDATED', v: 1, path: 'contactEmail', ...contact },
      { type: 'USER_ASSIGNED', v: 1, path: 'email', ...contact, subject: 'user' },
    ]);
  });

  it('finds fields inside arrays, identified by a sibling, with a placeholder valid for each schema', () => {
    expect(privacyCatalogue.personalFields('PEOPLE_NOTED', 1)).toEqual([
      {
        path: 'people[].email',
        subject: 'customer',
        identifiedBy: 'self',
        placeholder: 'erased@erased.invalid',
      },
      { path: 'people[].name', subject: 'customer', identifiedBy: 'people[].email', placeholder: '[erased]' },
    ]);
    expect(privacyCatalogue.personalFields('NOPE', 1)).toEqual([]);
  });

  it('refuses a field identified by something that is not a personal field identified by itself', () => {
    const schema = z.object({
      email: z.email(),
      name: personal(z.string(), { subject: 'customer', identifiedBy: 'email' }),
    });
    expect(() => personalFieldsOf(schema, 'T v1')).toThrow(/name is identified by email/);
  });

  it('refuses a placeholder the field schema would not accept', () => {
    const schema = z.object({
      code: personal(z.string().length(4), { subject: 'user', identifiedBy: 'self' }),
    });
    expect(() => personalFieldsOf(schema, 'T v1')).toThrow(/no placeholder passes/);
    const given = z.object({
      code: personal(z.string().length(4), { subject: 'user', identifiedBy: 'self', placeholder: 'XXXX' }),
    });
    expect(personalFieldsOf(given, 'T v1')[0]?.placeholder).toBe('XXXX');
  });

  it('marks a shared schema only where personal() wraps it', () => {
    const Email = z.email();
    const built = new EventCatalogue([
      {
        type: 'T',
        context: 'payment',
        schemas: [z.object({ a: personal(Email, { subject: 'user', identifiedBy: 'self' }), b: Email })],
        upcasters: [],
        description: '',
      },
    ]);
    expect(built.personalFields('T', 1).map((f) => f.path)).toEqual(['a']);
  });

  it('finds every value of a field in data, with concrete paths', () => {
    const data = { people: [{ email: 'a@x.test' }, { name: 'no email' }, { email: 'c@x.test' }] };
    expect(occurrencesOf(data, ['people', '[]', 'email']).map((o) => [o.path, o.value])).toEqual([
      ['people.0.email', 'a@x.test'],
      ['people.2.email', 'c@x.test'],
    ]);
  });
});
