export {
  type AdapterEntry,
  type AdapterOptions,
  adapterEntry,
  authRefusal,
  csrfSkip,
  enforceCsrf,
  resolveSessionOptions,
  type SessionOptions,
} from './adapter-options.js';
export type { SessionInfo } from './admin.js';
export { type ClientChange, clientOf, ipPrefixOf } from './client.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type CookieLimits,
  type CookieLookup,
  type CookieOptions,
  DEFAULT_COOKIE_LIMITS,
  DEFAULT_COOKIE_OPTIONS,
  type ResolvedCookieOptions,
  readCookie,
  resolveCookieOptions,
  type SameSite,
  type SerializeOptions,
  serializeCookie,
} from './cookie.js';
export { type CsrfFailure, type CsrfResult, isSafeMethod } from './csrf.js';
export { type CsrfFormSource, readFormToken } from './csrf-form.js';
export { errorBodyOf, httpStatusOf, isSessionError, SessionError, type SessionErrorCode } from './errors.js';
export {
  type EndReason,
  type RejectReason,
  type SessionEvent,
  type SessionEventListener,
  type SessionEventOf,
  SessionEvents,
  type SessionEventType,
} from './events.js';
export { assertAuthorized, type RequireAuthOptions, validateRequireAuth } from './guard.js';
export type { IsJson, JsonCompatible, JsonPrimitive, JsonValue } from './json.js';
export { fromKeyValueStore, type KeyValueStore, type KeyValueStoreOptions } from './kv-store.js';
export {
  checkDataLimits,
  type DataLimits,
  type DataSize,
  DEFAULT_DATA_LIMITS,
  resolveDataLimits,
  sizeOfData,
  tooLarge,
} from './limits.js';
export type { Logger } from './logger.js';
export {
  createSessionManager,
  type RevokeAllOptions,
  SessionManager,
  type SessionManagerOptions,
} from './manager.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  type ConnectStoreLike,
  connectStore,
  type ExpressSessionMigration,
  type ExpressSessionMigrationOptions,
  expressSession,
  type MigratedSession,
  type MigrationOutcome,
  type MigrationSource,
  type TakenSession,
} from './migrate.js';
export { type NodeReadableBody, peekBody } from './node-body.js';
export {
  type ClientBinding,
  type CsrfOptions,
  DEFAULT_POLICY,
  type OnLimit,
  type Policy,
  type PolicyOptions,
  resolvePolicy,
} from './policy.js';
export { resolveClientIp, resolveProto, type TrustProxy, validateTrustProxy } from './proxy.js';
export {
  encodeValue,
  MAX_DEPTH,
  type RawStoredSession,
  validateStored,
} from './record.js';
// A type only: adapters hold the request's session; only the manager's begin() makes one.
export type { RequestSession, ResponseHeaders, SessionRequest } from './request.js';
export type {
  DataKey,
  DataValue,
  JsonKey,
  LoginOptions,
  NotJsonKey,
  Session,
  SessionData,
} from './session.js';
export { SHARD_TAG_LENGTH, type ShardTags, type ShardTagsOptions, shardTags } from './shard-tag.js';
export {
  checkRevokeOptions,
  type DestroyOptions,
  type EncodedData,
  type EvictedSession,
  expiresAtOf,
  type LoadOptions,
  type LoadResult,
  type RevokeOptions,
  type RotateInput,
  type RotateResult,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type StoreCallOptions,
  type StoreCapabilities,
  type StoredClient,
  type StoredSession,
  type StoredSessionInfo,
  storedSessionInfoOf,
  type UpdateResult,
} from './store.js';
export {
  LoginAttempt,
  type LoginGuardAnswer,
  type LoginThrottleGuardOptions,
  loginGuard,
} from './throttle/adapter-step.js';
export {
  countOf,
  liveCount,
  type ThrottleCallOptions,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleCounts,
  type ThrottleKeys,
} from './throttle/counters.js';
export {
  DEFAULT_THROTTLE_POLICY,
  type ThrottleAnswer,
  type ThrottlePolicy,
  type ThrottlePolicyOptions,
} from './throttle/policy.js';
export {
  createLoginThrottle,
  type LoginAttemptInput,
  type LoginThrottle,
  type LoginThrottleOptions,
  normalizeAccount,
} from './throttle/throttle.js';
export { withTimeout } from './timeout.js';
export {
  handleOf,
  type ParsedToken,
  type SigningKey,
  shortHash,
  TokenCodec,
  type TokenOptions,
} from './token.js';
