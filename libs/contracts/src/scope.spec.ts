import { isJsonPointer, normaliseScope, regexKeywords, schemaErrors, scopeErrors, STATE_POINTER, Watch } from './scope';

describe('normaliseScope', () => {
  describe('the documentation form', () => {
    it('watches the current status for the listed states', () => {
      expect(normaliseScope({ state: ['completed', 'declined'] })).toEqual([
        { pointer: STATE_POINTER, schema: { enum: ['completed', 'declined'] } },
      ]);
    });

    it('watches every payment or shipping change for `true`', () => {
      expect(normaliseScope({ payment: true })).toEqual([{ pointer: '/payments' }]);
      expect(normaliseScope({ shipping: true })).toEqual([{ pointer: '/shippings' }]);
    });

    it('watches payments or shippings reaching the listed states', () => {
      expect(normaliseScope({ payment: ['captured', 'refunded'] })).toEqual([{ pointer: '/payments', states: ['captured', 'refunded'] }]);
      expect(normaliseScope({ shipping: ['confirmed'] })).toEqual([{ pointer: '/shippings', states: ['confirmed'] }]);
    });

    it('gives one watch per part, state first', () => {
      expect(normaliseScope({ shipping: true, payment: true, state: ['completed'] })).toEqual([
        { pointer: STATE_POINTER, schema: { enum: ['completed'] } },
        { pointer: '/payments' },
        { pointer: '/shippings' },
      ]);
    });

    it('ignores parts that watch nothing', () => {
      expect(normaliseScope({ state: [], payment: false, shipping: true })).toEqual([{ pointer: '/shippings' }]);
    });

    it('copies the state lists instead of sharing them', () => {
      const states = ['completed'];
      const [watch] = normaliseScope({ state: states });
      states.push('declined');
      expect(watch).toEqual({ pointer: STATE_POINTER, schema: { enum: ['completed'] } });
    });
  });

  describe('the API form', () => {
    it('is one watch of the pointer with the schema', () => {
      expect(normaliseScope('/state/currentStatus', { enum: ['completed'] })).toEqual([{ pointer: STATE_POINTER, schema: { enum: ['completed'] } }]);
    });

    it('watches any change of the pointer without a schema', () => {
      expect(normaliseScope('/customer/email')).toEqual([{ pointer: '/customer/email' }]);
    });

    it('gives the same watch as the documentation form for the same states', () => {
      expect(normaliseScope('/state/currentStatus', { enum: ['completed'] })).toEqual(normaliseScope({ state: ['completed'] }));
    });
  });

  it('copies a list of watches', () => {
    const watches: Watch[] = [{ pointer: '/payments', states: ['captured'] }, { pointer: '/cart/total', schema: { minimum: 100 } }];
    const result = normaliseScope(watches);
    expect(result).toEqual(watches);
    expect(result[0]).not.toBe(watches[0]);
  });
});

describe('isJsonPointer', () => {
  it.each(['', '/state', '/state/currentStatus', '/payments/0/state', '/a~1b', '/m~0n', '/'])('accepts %j', (pointer) => {
    expect(isJsonPointer(pointer)).toBe(true);
  });

  it.each(['state', 'state/currentStatus', '/a~2', '/a~', '#/state', 42, null])('refuses %j', (pointer) => {
    expect(isJsonPointer(pointer)).toBe(false);
  });
});

describe('schemaErrors', () => {
  it('refuses regular expressions anywhere in a schema, since they backtrack on values a merchant controls', () => {
    expect(schemaErrors({ type: 'string', pattern: '^(a+)+$' })).toEqual([expect.stringMatching(/regular expressions.*found at \/pattern$/)]);
    expect(regexKeywords({ anyOf: [{ properties: { name: { pattern: 'x' } } }], patternProperties: { '^a': {} } })).toEqual(['/anyOf/0/properties/name/pattern', '/patternProperties']);
  });

  it('accepts a property called pattern, and pattern as data', () => {
    expect(schemaErrors({ properties: { pattern: { type: 'string' } }, enum: [{ pattern: 'x' }] })).toEqual([]);
    expect(schemaErrors({ enum: ['completed'] })).toEqual([]);
  });
});

describe('scopeErrors: the registrations are not order state', () => {
  it.each([
    ['/notifications', undefined, 'scope cannot watch /notifications'],
    ['/notifications/0/url', { type: 'string' }, 'scope cannot watch /notifications'],
    [[{ pointer: '/notifications' }], undefined, 'scope[0].pointer cannot watch /notifications'],
  ])('refuses a watch on %j', (scope, schema, message) => {
    expect(scopeErrors(scope, schema)).toEqual([expect.stringContaining(message)]);
  });

  it('still accepts pointers that only start with the same letters', () => {
    expect(scopeErrors('/notificationsSent')).toEqual([]);
  });
});
