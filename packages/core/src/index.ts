export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type CookieLimits,
  type CookieLookup,
  type CookieOptions,
  DEFAULT_COOKIE_LIMITS,
  DEFAULT_COOKIE_OPTIONS,
  readCookie,
  type ResolvedCookieOptions,
  resolveCookieOptions,
  type SameSite,
  type SerializeOptions,
  serializeCookie,
} from './cookie.js';
export { errorBodyOf, httpStatusOf, isSessionError, SessionError, type SessionErrorCode } from './errors.js';
export {
  type DestroyOptions,
  type EncodedData,
  type EvictedSession,
  expiresAtOf,
  type GoneReason,
  type LoadOptions,
  type LoadResult,
  type RotateInput,
  type RotateResult,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type StoreCapabilities,
  type StoredClient,
  type StoredSession,
  type UpdateResult,
  type UserSessionInfo,
} from './store.js';
export { handleOf, type ParsedToken, type SigningKey, shortHash, TokenCodec, type TokenOptions } from './token.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
