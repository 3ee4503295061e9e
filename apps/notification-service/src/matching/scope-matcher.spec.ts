import Ajv from 'ajv';
import { normaliseScope, type Order, type Watch } from '@ordercast/contracts';
import { aPayment, aRegistration, anOrder, aShipping, withState } from '../../test/fixtures/orders';
import { ScopeMatcher } from './scope-matcher';
import { SchemaCache } from './schema-cache';

const matcher = new ScopeMatcher();
const labels = (scope: Watch[], previous: Order | null, order: Order) => matcher.labels(scope, previous, order);
const state = (...states: string[]) => normaliseScope({ state: states });

describe('ScopeMatcher: state watches', () => {
  const checkout = anOrder();
  const processing = withState(checkout, 'processing');

  it('fires with state.<new status> when the status changes into the schema', () => {
    expect(labels(state('processing'), checkout, processing)).toEqual(['state.processing']);
  });

  it('does not fire when the new status is outside the schema', () => {
    expect(labels(state('completed', 'declined'), checkout, processing)).toEqual([]);
  });

  it('does not fire when the status did not change, even if the schema allows it', () => {
    const paid = { ...processing, payments: [aPayment()] };
    expect(labels(state('processing'), processing, paid)).toEqual([]);
  });

  it('without a schema fires on every status change', () => {
    expect(labels([{ pointer: '/state/currentStatus' }], checkout, processing)).toEqual(['state.processing']);
    expect(labels([{ pointer: '/state/currentStatus' }], processing, withState(processing, 'accepted'))).toEqual(['state.accepted']);
  });

  it('labels the API form (pointer + schema) the same as the documentation form', () => {
    const apiForm = normaliseScope('/state/currentStatus', { enum: ['processing'] });
    expect(labels(apiForm, checkout, processing)).toEqual(labels(state('processing'), checkout, processing));
  });

  it('on order.created (no previous snapshot) fires a state watch that allows checkout: undefined → checkout is a change', () => {
    expect(labels(state('checkout'), null, checkout)).toEqual(['state.checkout']);
  });

  it('on order.created does not fire a state watch for another status', () => {
    expect(labels(state('completed'), null, checkout)).toEqual([]);
  });

  it('treats boolean schemas as JSON Schema does', () => {
    expect(labels([{ pointer: '/state/currentStatus', schema: true }], checkout, processing)).toEqual(['state.processing']);
    expect(labels([{ pointer: '/state/currentStatus', schema: false }], checkout, processing)).toEqual([]);
  });
});

describe('ScopeMatcher: payment and shipping watches', () => {
  const base = anOrder();

  it('fires payment.<state> for a new payment', () => {
    const payment = aPayment({ state: 'authorized' });
    expect(labels(normaliseScope({ payment: true }), base, { ...base, payments: [payment] })).toEqual(['payment.authorized']);
  });

  it('fires payment.<state> when a payment changes state', () => {
    const payment = aPayment({ state: 'authorized' });
    const before = { ...base, payments: [payment] };
    const after = { ...base, payments: [{ ...payment, state: 'captured' as const }] };
    expect(labels(normaliseScope({ payment: true }), before, after)).toEqual(['payment.captured']);
  });

  it('payment: true fires when another field of a payment changes, labelled with its unchanged state', () => {
    const payment = aPayment({ state: 'authorized', amount: 200 });
    const before = { ...base, payments: [payment] };
    const after = { ...base, payments: [{ ...payment, amount: 150 }] };
    expect(labels(normaliseScope({ payment: true }), before, after)).toEqual(['payment.authorized']);
  });

  it('does not fire when the payments are deeply equal', () => {
    const payment = aPayment();
    const before = { ...base, payments: [payment] };
    const after = { ...withState(base, 'processing'), payments: [{ ...payment }] };
    expect(labels(normaliseScope({ payment: true }), before, after)).toEqual([]);
  });

  it('gives one label per state reached, and one for several payments reaching the same state', () => {
    const a = aPayment({ state: 'intent' });
    const b = aPayment({ state: 'intent' });
    const c = aPayment({ state: 'intent' });
    const before = { ...base, payments: [a, b, c] };
    const after = { ...base, payments: [{ ...a, state: 'captured' as const }, { ...b, state: 'declined' as const }, { ...c, state: 'captured' as const }] };
    expect(labels(normaliseScope({ payment: true }), before, after)).toEqual(['payment.captured', 'payment.declined']);
  });

  it('with states fires only when a payment reaches one of them', () => {
    const payment = aPayment({ state: 'authorized' });
    const scope = normaliseScope({ payment: ['captured', 'refunded'] });
    const captured = { ...base, payments: [{ ...payment, state: 'captured' as const }] };
    expect(labels(scope, { ...base, payments: [payment] }, captured)).toEqual(['payment.captured']);
    expect(labels(scope, base, { ...base, payments: [payment] })).toEqual([]);
    expect(labels(scope, base, captured)).toEqual(['payment.captured']);
  });

  it('with states ignores changes that keep the state', () => {
    const payment = aPayment({ state: 'captured', amount: 200 });
    const scope = normaliseScope({ payment: ['captured'] });
    expect(labels(scope, { ...base, payments: [payment] }, { ...base, payments: [{ ...payment, amount: 100 }] })).toEqual([]);
  });

  it('labels a payment that disappeared as payment.removed', () => {
    const payment = aPayment({ state: 'authorized' });
    expect(labels(normaliseScope({ payment: true }), { ...base, payments: [payment] }, base)).toEqual(['payment.removed']);
    expect(labels(normaliseScope({ payment: ['captured'] }), { ...base, payments: [payment] }, base)).toEqual([]);
  });

  it('fires shipping.<state> for shippings, and not for payments', () => {
    const shipping = aShipping({ state: 'processing' });
    const before = { ...base, shippings: [shipping] };
    const after = { ...base, shippings: [{ ...shipping, state: 'confirmed' as const }] };
    expect(labels(normaliseScope({ shipping: true }), before, after)).toEqual(['shipping.confirmed']);
    expect(labels(normaliseScope({ shipping: ['failed'] }), before, after)).toEqual([]);
    expect(labels(normaliseScope({ payment: true }), before, after)).toEqual([]);
  });

  it('applies an API-form schema on /payments to the whole new list before labelling', () => {
    const first = aPayment({ state: 'authorized' });
    const second = aPayment({ state: 'authorized' });
    const scope: Watch[] = [{ pointer: '/payments', schema: { type: 'array', minItems: 2 } }];
    expect(labels(scope, base, { ...base, payments: [first] })).toEqual([]);
    expect(labels(scope, { ...base, payments: [first] }, { ...base, payments: [first, second] })).toEqual(['payment.authorized']);
  });

  it('on order.created fires for payments the order was created with', () => {
    const order = { ...base, payments: [aPayment({ state: 'intent' })] };
    expect(labels(normaliseScope({ payment: true }), null, order)).toEqual(['payment.intent']);
  });
});

describe('ScopeMatcher: other pointers', () => {
  const base = anOrder();

  it('labels the pointer itself and applies the schema to the new value', () => {
    const bigger = { ...base, cart: { ...base.cart, total: 5000 } };
    expect(labels([{ pointer: '/cart/total' }], base, bigger)).toEqual(['/cart/total']);
    expect(labels([{ pointer: '/cart/total', schema: { type: 'number', minimum: 1000 } }], base, bigger)).toEqual(['/cart/total']);
    expect(labels([{ pointer: '/cart/total', schema: { type: 'number', minimum: 10000 } }], base, bigger)).toEqual([]);
  });

  it('compares objects deeply, ignoring key order', () => {
    const reordered = { ...base, customer: { email: 'buyer@example.com' } };
    const customer = { ...base, customer: { name: 'Ada', email: 'buyer@example.com' } };
    const sameCustomerOtherOrder = { ...base, customer: { email: 'buyer@example.com', name: 'Ada' } };
    expect(labels([{ pointer: '/customer' }], base, reordered)).toEqual([]);
    expect(labels([{ pointer: '/customer' }], base, customer)).toEqual(['/customer']);
    expect(labels([{ pointer: '/customer' }], customer, sameCustomerOtherOrder)).toEqual([]);
  });

  it('fires when a value appears or disappears, and not for a path missing on both sides', () => {
    const withoutCustomer = { ...base, customer: null };
    expect(labels([{ pointer: '/customer/email' }], withoutCustomer, base)).toEqual(['/customer/email']);
    expect(labels([{ pointer: '/customer/email' }], base, withoutCustomer)).toEqual(['/customer/email']);
    expect(labels([{ pointer: '/customer/phone' }], base, withState(base, 'processing'))).toEqual([]);
  });

  it('follows array indexes and escaped tokens', () => {
    const payment = aPayment({ state: 'intent' });
    const before = { ...base, payments: [payment] };
    const after = { ...base, payments: [{ ...payment, state: 'authorized' as const }] };
    expect(labels([{ pointer: '/payments/0/state', schema: { const: 'authorized' } }], before, after)).toEqual(['/payments/0/state']);
    const slashKey = { ...base, customer: { 'a/b': 1, 'c~d': 1 } };
    const slashKeyChanged = { ...base, customer: { 'a/b': 2, 'c~d': 1 } };
    expect(labels([{ pointer: '/customer/a~1b' }], slashKey, slashKeyChanged)).toEqual(['/customer/a~1b']);
    expect(labels([{ pointer: '/customer/c~0d' }], slashKey, slashKeyChanged)).toEqual([]);
  });

  it('never reads inherited properties', () => {
    expect(labels([{ pointer: '/__proto__' }], base, withState(base, 'processing'))).toEqual([]);
    expect(labels([{ pointer: '/cart/constructor' }], null, base)).toEqual([]);
  });

  it("never watches the order's registrations, which the previous snapshot does not carry", () => {
    const { notifications: _notifications, ...previous } = base;
    const registered = { ...base, notifications: [aRegistration()] };
    expect(labels([{ pointer: '/notifications' }], previous as Order, registered)).toEqual([]);
    expect(labels([{ pointer: '/notifications/0/url' }], null, registered)).toEqual([]);
  });

  it('never matches a schema that does not compile, without throwing', () => {
    expect(labels([{ pointer: '/cart/total', schema: { type: 'no-such-type' } }], base, { ...base, cart: { ...base.cart, total: 1 } })).toEqual([]);
  });
});

describe('ScopeMatcher: targets', () => {
  const checkout = anOrder();

  it('gives two matches when one change fires two watches of one registration', () => {
    const payment = aPayment({ state: 'captured' });
    const after = { ...withState(checkout, 'processing'), payments: [payment] };
    const registration = aRegistration({ scope: normaliseScope({ state: ['processing'], payment: true }) });
    expect(matcher.match([registration], checkout, after)).toEqual([
      { target: registration, label: 'state.processing' },
      { target: registration, label: 'payment.captured' },
    ]);
  });

  it('gives one match when two watches of one registration yield the same label', () => {
    const registration = aRegistration({ scope: [...state('processing'), { pointer: '/state/currentStatus' }] });
    expect(matcher.match([registration], checkout, withState(checkout, 'processing'))).toEqual([{ target: registration, label: 'state.processing' }]);
  });

  it('matches every target independently and leaves out the ones that do not fire', () => {
    const completedOnly = aRegistration({ scope: state('completed') });
    const anyState = aRegistration({ scope: [{ pointer: '/state/currentStatus' }] });
    const processingToo = aRegistration({ scope: state('processing', 'completed') });
    const matches = matcher.match([completedOnly, anyState, processingToo], checkout, withState(checkout, 'processing'));
    expect(matches.map((m) => [m.target.id, m.label])).toEqual([[anyState.id, 'state.processing'], [processingToo.id, 'state.processing']]);
  });

  it('fires a registration added in the same request that changes the state (it is in the new snapshot)', () => {
    const registration = aRegistration({ scope: state('processing') });
    const after = { ...withState(checkout, 'processing'), notifications: [registration] };
    expect(matcher.match(after.notifications, checkout, after)).toEqual([{ target: registration, label: 'state.processing' }]);
  });

  it('is a pure function of its input: matching again gives the same result', () => {
    const registration = aRegistration({ scope: normaliseScope({ state: ['processing'], payment: true }) });
    const after = { ...withState(checkout, 'processing'), payments: [aPayment()] };
    expect(matcher.match([registration], checkout, after)).toEqual(matcher.match([registration], checkout, after));
  });
});

describe('SchemaCache', () => {
  it('compiles each distinct schema once', () => {
    const compile = jest.spyOn(Ajv.prototype, 'compile');
    const cache = new SchemaCache();
    for (let i = 0; i < 5; i++) {
      expect(cache.prepare({ enum: ['a'] })).toEqual({ validate: expect.any(Function), cost: 2 });
      expect(cache.prepare({ enum: ['b'] })).toEqual({ validate: expect.any(Function), cost: 2 });
    }
    expect(compile).toHaveBeenCalledTimes(2);
    compile.mockRestore();
  });

  it('evicts the least recently used schema when full, not every schema at once', () => {
    const compile = jest.spyOn(Ajv.prototype, 'compile');
    const cache = new SchemaCache();
    cache.prepare({ enum: ['in use'] });
    for (let i = 1; i < 5000; i++) cache.prepare({ const: i });
    cache.prepare({ enum: ['in use'] });
    // Full: the next new schema takes the place of the least recently used one ({ const: 1 }).
    cache.prepare({ const: 'new' });
    compile.mockClear();
    cache.prepare({ enum: ['in use'] });
    cache.prepare({ const: 2 });
    expect(compile).not.toHaveBeenCalled();
    cache.prepare({ const: 1 });
    expect(compile).toHaveBeenCalledTimes(1);
    compile.mockRestore();
  });

  it('runs schemas with local $refs, which stay functions of their own', () => {
    const prepared = new SchemaCache().prepare({ $defs: { status: { enum: ['accepted', 'completed'] } }, anyOf: [{ $ref: '#/$defs/status' }, { const: 'declined' }] });
    if ('refused' in prepared) throw new Error(prepared.refused);
    expect([prepared.validate('completed'), prepared.validate('declined'), prepared.validate('checkout')]).toEqual([true, true, false]);
  });

  it('never compiles a schema with a regular expression, instead of backtracking on the value', () => {
    const compile = jest.spyOn(Ajv.prototype, 'compile');
    expect(new SchemaCache().prepare({ type: 'string', pattern: '^(a+)+$' })).toEqual({ refused: expect.stringMatching(/regular expression/) });
    expect(compile).not.toHaveBeenCalled();
    compile.mockRestore();
  });
});

describe('ScopeMatcher: the matching budget', () => {
  const checkout = anOrder();
  const order = (customer: Record<string, unknown>) => ({ ...withState(checkout, 'processing'), customer });
  const watcher = (pointer: string, schema: Record<string, unknown>) => ({ scope: [{ pointer, schema }] });
  const anyOfChain = (levels: number) => {
    const $defs: Record<string, unknown> = { [`l${levels}`]: { type: 'string' } };
    for (let level = 0; level < levels; level++) $defs[`l${level}`] = { anyOf: [{ $ref: `#/$defs/l${level + 1}` }, { $ref: `#/$defs/l${level + 1}` }] };
    return { $defs, $ref: '#/$defs/l0' };
  };

  it('refuses a schema registration would refuse, without compiling or running it, and still matches the other watches', () => {
    const bomb = { scope: [{ pointer: '/customer/name', schema: anyOfChain(22) }, ...state('processing')] };
    const outcome = matcher.evaluate([bomb], checkout, order({ name: 42 }));
    expect(outcome.matches).toEqual([{ target: bomb, label: 'state.processing' }]);
    expect(outcome.refusals).toEqual([{ target: bomb, pointer: '/customer/name', kind: 'schema', reason: expect.stringMatching(/22 levels deep/) }]);
    const uniqueItems = watcher('/customer/tags', { type: 'array', uniqueItems: true });
    expect(matcher.evaluate([uniqueItems], checkout, order({ tags: [1, 2] })).refusals).toEqual([
      expect.objectContaining({ kind: 'schema', reason: expect.stringMatching(/uniqueItems at \/ needs maxItems/) }),
    ]);
  });

  it('does not run a schema on a value with more nodes than the budget allows', () => {
    const small = new ScopeMatcher({ maxValueNodes: 100, maxStepsPerChange: 1_000_000 });
    const items = watcher('/customer/tags', { type: 'array', items: { type: 'integer' } });
    expect(small.evaluate([items], checkout, order({ tags: [...Array(99).keys()] })).matches).toHaveLength(1);
    const outcome = small.evaluate([items], checkout, order({ tags: [...Array(100).keys()] }));
    expect(outcome).toEqual({ matches: [], refusals: [expect.objectContaining({ target: items, kind: 'value', reason: expect.stringMatching(/more than 100 nodes/) })] });
  });

  it('refuses what would exceed the change\'s step budget, the same targets on every evaluation', () => {
    const tight = new ScopeMatcher({ maxValueNodes: 1000, maxStepsPerChange: 250 });
    const targets = [1, 2, 3].map((n) => watcher('/customer/tags', { type: 'array', items: { type: 'integer', minimum: -n } }));
    const next = order({ tags: [...Array(59).keys()] });
    const first = tight.evaluate(targets, checkout, next);
    expect(first.matches.map((m) => m.target)).toEqual([targets[0], targets[1]]);
    expect(first.refusals).toEqual([expect.objectContaining({ target: targets[2], kind: 'budget', reason: expect.stringMatching(/takes up to 120 steps; the change has 10 of its 250 left/) })]);
    expect(tight.evaluate(targets, checkout, next)).toEqual(first);
  });

  it('runs one schema on one pointer once per change, however many watches repeat it', () => {
    const tight = new ScopeMatcher({ maxValueNodes: 1000, maxStepsPerChange: 250 });
    const targets = [1, 2, 3].map(() => watcher('/customer/tags', { type: 'array', items: { type: 'integer' } }));
    const outcome = tight.evaluate(targets, checkout, order({ tags: [...Array(59).keys()] }));
    // 120 steps once, not three times: all three match, where a third distinct schema would be over the budget (above).
    expect(outcome).toEqual({ matches: targets.map((target) => expect.objectContaining({ target })), refusals: [] });
  });

  it('honours format', () => {
    const email = watcher('/customer/email', { type: 'string', format: 'email' });
    expect(matcher.match([email], checkout, order({ email: 'erp-buyer@shop.example' }))).toHaveLength(1);
    expect(matcher.match([email], checkout, order({ email: 'not an address' }))).toEqual([]);
  });
});
