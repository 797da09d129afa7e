import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from '../../../shared/audit/canonical';

describe('canonicalJson', () => {
  it('writes exactly what the canonicalize package writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on keys outside the Basic Multilingual Plane, escapes and numbers at the edges of their notation', () => {
    const value = {
      '\u{1F600}': 1,
      '\uFFFF': 2,
      é: 3,
      a: [1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308],
      '\u0000"\\': 'line\nbreak\u2028\uD800',
      nested: { undef: undefined, list: [undefined, null, true] },
    };
    expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it('writes keys an outsider can put in a record (integer-like, __proto__, toJSON) as canonicalize does', () => {
    // Parsed, as a webhook's or a report's fields arrive: `__proto__` is then an own key, not the prototype.
    const parsed = JSON.parse(
      '{"details":{"10":1,"9":2,"1a":3,"__proto__":{"polluted":true},"toJSON":"not a function","b":[{"2":0,"10":1}]},"a":1}',
    );
    expect(canonicalJson(parsed)).toBe(canonicalize(parsed));
    expect(canonicalJson(parsed)).toContain('"__proto__":{"polluted":true}');
    expect(canonicalJson({ nested: { '10': 'x', '9': 'y' } })).toBe('{"nested":{"10":"x","9":"y"}}');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses NaN and Infinity as canonicalize does', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('NaN is not allowed');
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow('Infinity is not allowed');
  });

  it('orders keys by UTF-16 code units, not by code point', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 })).toBe('{"\u{1F600}":1,"\uFFFF":2}');
  });
});
