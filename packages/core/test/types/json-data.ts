/**
 * Compile-time half of "session data is JSON" (issue #13 item 2): `pnpm typecheck` checks this
 * file (it is never run). Before, `interface SessionData { at: Date }` compiled and `get('at')`
 * was typed `Date` while it answered a string. Its own program (tsconfig.json here): the
 * augmentation below applies to every file that sees it.
 */
import type { JsonValue, Session } from '@tessera/session-core';

interface Cart {
  items: { sku: string; qty: number }[];
  coupon?: string | null;
}
type Tree = { label: string; children: Tree[] };

declare module '@tessera/session-core' {
  interface SessionData {
    counter: number;
    cart: Cart;
    tree: Tree;
    prefs: JsonValue;
    [note: `note:${string}`]: string;
    at: Date;
    seen: Set<string>;
    callback: () => void;
    mixed: string | Map<string, number>;
  }
}

declare const s: Session;

// JSON keys: interfaces, optional fields, recursive types, JsonValue, template keys.
s.set('counter', (s.get('counter') ?? 0) + 1);
s.set('cart', { items: [{ sku: 'a', qty: 1 }] });
s.set('tree', { label: 'root', children: [{ label: 'leaf', children: [] }] });
s.set('prefs', { theme: 'dark', sizes: [1, 2] });
s.set('note:x', 'text');
export const cart: Cart | undefined = s.get('cart');
export const note: string | undefined = s.get('note:y');

// @ts-expect-error a Date reads back as a string: the key cannot be read...
s.get('at');
// @ts-expect-error ...nor written
s.set('at', new Date());
// @ts-expect-error a Set reads back as {}
s.get('seen');
// @ts-expect-error functions are dropped by JSON
s.set('callback', () => {});
// @ts-expect-error one non-JSON member of a union is enough
s.get('mixed');
// @ts-expect-error a declared JSON key still takes only its own type
s.set('counter', 'one');

// The same check with the type given explicitly (Nest's `Session<MyData>`).
declare const explicit: Session<{ when: Date; list: number[]; data: { at: Date }[] }>;
explicit.set('list', [1, 2]);
// @ts-expect-error nested Date
explicit.set('data', [{ at: new Date() }]);
// @ts-expect-error
explicit.get('when');
// delete and has take any declared key: removing a mistyped key must stay possible.
explicit.delete('when');
