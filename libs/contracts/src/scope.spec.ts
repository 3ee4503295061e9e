import { ORDER_STATES, PAYMENT_STATES } from './order';
import { isJsonPointer, MAX_POINTER_LENGTH, MAX_SCOPE_WATCHES, normaliseScope, regexKeywords, schemaErrors, scopeErrors, STATE_POINTER, Watch } from './scope';

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

describe('scopeErrors: a scope has a bound', () => {
  const watches = (count: number) => Array.from({ length: count }, (_, i) => ({ pointer: `/customer/field${i}` }));

  it(`takes a pointer of up to ${MAX_POINTER_LENGTH} characters in either form, and quotes at most 100 of one it refuses`, () => {
    const pointer = (length: number) => `/customer/${'a'.repeat(length - '/customer/'.length)}`;
    expect(scopeErrors(pointer(MAX_POINTER_LENGTH))).toEqual([]);
    expect(scopeErrors([{ pointer: pointer(MAX_POINTER_LENGTH) }])).toEqual([]);
    expect(scopeErrors(pointer(MAX_POINTER_LENGTH + 1))).toEqual([`scope must be at most ${MAX_POINTER_LENGTH} characters; got ${MAX_POINTER_LENGTH + 1}`]);
    expect(scopeErrors([{ pointer: '/~0a'.repeat(60_000) }])).toEqual([`scope[0].pointer must be at most ${MAX_POINTER_LENGTH} characters; got 240000`]);
    const [refused] = scopeErrors(`no pointer ${'x'.repeat(1000)}`);
    expect(refused).toBe(`scope "no pointer ${'x'.repeat(89)}…" is not a JSON pointer such as /state/currentStatus`);
  });

  it(`takes up to ${MAX_SCOPE_WATCHES} different watches and refuses one more with one message`, () => {
    expect(scopeErrors(watches(MAX_SCOPE_WATCHES))).toEqual([]);
    expect(scopeErrors(watches(MAX_SCOPE_WATCHES + 1))).toEqual([`scope must have at most ${MAX_SCOPE_WATCHES} watches; got ${MAX_SCOPE_WATCHES + 1}`]);
    expect(scopeErrors(watches(1000))).toEqual([`scope must have at most ${MAX_SCOPE_WATCHES} watches; got 1000`]);
  });

  it('refuses the same watch twice, and accepts one pointer with different schemas or states', () => {
    expect(scopeErrors([{ pointer: '/cart/total', schema: { minimum: 1 } }, { pointer: '/payments' }, { schema: { minimum: 1 }, pointer: '/cart/total' }]))
      .toEqual(['scope[2] repeats scope[0]']);
    expect(scopeErrors([{ pointer: '/cart/total', schema: { minimum: 1 } }, { pointer: '/cart/total', schema: { maximum: 0 } }])).toEqual([]);
    expect(scopeErrors([{ pointer: '/payments', states: ['captured'] }, { pointer: '/payments', states: ['refunded'] }])).toEqual([]);
  });

  it('takes every state once and refuses a state listed twice, in every list of states', () => {
    expect(scopeErrors({ state: [...ORDER_STATES], payment: [...PAYMENT_STATES] })).toEqual([]);
    expect(scopeErrors({ state: ['completed', 'declined', 'completed'] })).toEqual(['scope.state lists "completed" more than once']);
    expect(scopeErrors({ payment: ['captured', 'captured'] })).toEqual(['scope.payment lists "captured" more than once']);
    expect(scopeErrors([{ pointer: '/shippings', states: ['confirmed', 'confirmed'] }])).toEqual(['scope[0].states lists "confirmed" more than once']);
  });

  it('answers a list of states longer than its set with one message, not one per entry', () => {
    expect(scopeErrors({ state: Array.from({ length: 1000 }, () => 'completed') }))
      .toEqual([expect.stringMatching(/^scope.state must list each state at most once: at most 6 states \(.*\); got 1000$/)]);
    expect(scopeErrors({ shipping: Array.from({ length: 1000 }, (_, i) => `s${i}`) })).toHaveLength(1);
  });
});
