/**
 * Session data is JSON, at run time (`encodeValue` refuses anything else) and at compile time:
 * these types let `Session<D>` refuse, where the handler calls `get`/`set`, a key whose
 * declared type JSON cannot hold (`interface SessionData { at: Date }` would read back a string).
 */

export type JsonPrimitive = string | number | boolean | null;

/** A value JSON holds exactly. */
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };

// An array element may not be undefined (JSON reads it back as null); an object property may
// (optional properties: left out, as JSON does).
type JsonElement<T> = T extends undefined ? never : JsonCompatible<T>;

/**
 * `T` with every part JSON cannot hold replaced by `never`: functions, objects with `toJSON`
 * (Date), objects with methods (Map, Set, class instances), bigint, symbol. `T` is JSON-only
 * exactly when it is assignable to `JsonCompatible<T>`; interfaces (which `JsonValue`'s index
 * signature would refuse) and recursive types pass when their members do. `unknown` passes:
 * it is checked at run time.
 */
export type JsonCompatible<T> = unknown extends T
  ? T
  : T extends JsonValue | undefined
    ? T
    : T extends (...args: never[]) => unknown
      ? never
      : T extends { toJSON(...args: never[]): unknown }
        ? never
        : T extends readonly unknown[]
          ? { [K in keyof T]: JsonElement<T[K]> }
          : T extends object
            ? { [K in keyof T]: JsonCompatible<T[K]> }
            : never;

/** `true` when `T` holds only what JSON holds exactly (see `JsonCompatible`). */
export type IsJson<T> = [T] extends [JsonCompatible<T>] ? true : false;
