/**
 * `encodeValue` takes JSON values only, exactly (issue #13 item 2). Before, `set()` passed
 * whatever `JSON.stringify` did not throw on: a Date came back a string, a Map `{}`, NaN null;
 * a cycle escaped as a TypeError, deep nesting as a RangeError and a throwing toJSON as itself,
 * each a 500 in the adapters.
 */
import { describe, expect, it } from 'vitest';
import { encodeValue, SessionError } from '../src/index.js';

const MAX_DEPTH = 64;
function nested(depth: number, leaf: unknown = 1, kind: 'array' | 'object' = 'array'): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** The refusal `encodeValue` threw: always a SessionError (never a TypeError, RangeError or the app's own). */
function refusal(value: unknown, maxBytes?: number): SessionError {
  try {
    encodeValue('k', value, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionError);
    return error as SessionError;
  }
  throw new Error(`accepted ${String(value)}`);
}

class Cart {
  items = ['a'];
}

describe('encodeValue: JSON values only', () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const arrayCycle: unknown[] = [1];
  arrayCycle.push([arrayCycle]);
  const throwingToJson = {
    toJSON() {
      throw new Error('from the app');
    },
  };
  const throwingGetter = Object.defineProperty({}, 'x', {
    enumerable: true,
    get() {
      throw new TypeError('getter');
    },
  });
  class Items extends Array<number> {}

  it.each([
    ['a Date', new Date(0)],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a class instance', new Cart()],
    ['a function', () => 1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', [Number.NEGATIVE_INFINITY]],
    ['a bigint', 1n],
    ['a symbol', Symbol('s')],
    ['a cycle through an object', cycle],
    ['a cycle through arrays', arrayCycle],
    [`arrays nested ${MAX_DEPTH + 1} deep`, nested(MAX_DEPTH + 1)],
    [`objects nested ${MAX_DEPTH + 1} deep`, nested(MAX_DEPTH + 1, 1, 'object')],
    ['10,000 levels of nesting (a RangeError before)', nested(10_000)],
    ['an object with a throwing toJSON', throwingToJson],
    ['a throwing getter', throwingGetter],
    ['a Date inside a plain object', { at: new Date(0) }],
    ['a RegExp', /x/],
    ['a Uint8Array', new Uint8Array(2)],
    ['an Array subclass', Items.from([1])],
    ['undefined in an array', [1, undefined]],
    ['a sparse array', Object.assign([1], { 2: 3 })],
    ['a boxed string', Object('s')],
    ['a Promise', Promise.resolve(1)],
  ])('refuses %s with invalid_data', (_, value) => {
    expect(refusal(value).code).toBe('invalid_data');
  });

  it('accepts plain JSON exactly, up to 64 levels deep', () => {
    const value = {
      s: 'ä ☃ "q" \u0000 \ud800',
      n: [0, -1.5, 1e21, 5e-324],
      b: [true, false, null],
      o: Object.assign(Object.create(null) as object, { x: 1 }),
      deep: nested(MAX_DEPTH - 1),
    };
    const text = encodeValue('k', value);
    expect(JSON.parse(text)).toEqual({ ...value, o: { x: 1 } });
    expect(() => encodeValue('k', nested(MAX_DEPTH))).not.toThrow();
    expect(() => encodeValue('k', nested(MAX_DEPTH, 1, 'object'))).not.toThrow();
  });

  it('leaves out object properties that are undefined, as JSON does (optional fields)', () => {
    expect(encodeValue('k', { a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('an own "toJSON" that is not a function is plain data', () => {
    expect(JSON.parse(encodeValue('k', { toJSON: 'x' }))).toEqual({ toJSON: 'x' });
  });

  it('a value past the byte budget is session_too_large after reading about that much of it', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => `item ${i}`);
    let reads = 0;
    const counted = new Proxy(big, {
      get(target, p, receiver) {
        if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
        return Reflect.get(target, p, receiver);
      },
    });
    expect(refusal(counted, 1000).code).toBe('session_too_large');
    expect(reads).toBeLessThan(200);
    expect(encodeValue('k', 'x'.repeat(998), 1000)).toHaveLength(1000);
    expect(refusal('x'.repeat(999), 1000).code).toBe('session_too_large');
  });

  it('a getter that answers differently the second time cannot slip a prototype key in', () => {
    let n = 0;
    const flip = Object.defineProperty({}, 'v', {
      enumerable: true,
      get: () => (n++ === 0 ? 1 : JSON.parse('{"__proto__":{"polluted":true}}')),
    });
    expect(refusal(flip).code).toBe('invalid_data');
  });
});
