/**
 * The Lua scripts behind every store operation: each write is one EVALSHA. A read is a plain
 * HGETALL, plus the LOAD script (read again and touch, in one step) when a touch is due (once
 * per `touchIntervalMs`).
 *
 * KEYS[1] (and KEYS[2] for rotate) is a "base" `<prefix>{<tag>}`: the scripts derive
 * `base..'s:'..id` (session hash) and `base..'u:'..userId` (user index) from it. Passing
 * the base as a declared key lets ioredis apply its own `keyPrefix` and route the call to
 * the right Cluster node; every derived key shares the base's hash tag, so one slot.
 *
 * Session hash fields: m `1|lastSeenAt|idleTimeoutMs|absoluteExpiresAt|dataBytes|dataKeys`
 * (the version, the three numbers every liveness check needs, and the data's size as
 * `sizeOfData` counts it, in one field written first, so a check is one HGET and one match,
 * an update checks the size limit without reading the other data keys, and a load finds it at
 * the head of HGETALL), c `createdAt` or `createdAt|authenticatedAt`, u userId, p client ip,
 * a0.. the user agent in chunks, `d:<name>` one per data key; q the ip prefix, w the user
 * agent's hash and h the handle only when they are not what the core derives (codec.ts; the
 * handle is the first HANDLE_CHARS characters of the session id). The user index is a sorted set: member session id, score createdAt, so
 * ZRANGE lists oldest first.
 */
import { createHash } from 'node:crypto';

export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

/** Characters of the session id that are its handle: the core's `handleOf` (a test checks they agree). */
export const HANDLE_CHARS = 16;

// Shared helpers. A session is live when its `m` field parses and `now` is before
// min(l + i, x) (x alone when i is 0); anything unparsable is treated as not live. meta
// returns lastSeenAt, idleTimeoutMs, absoluteExpiresAt, dataBytes, dataKeys as strings.
const PRELUDE = `
local function meta(m)
  if not m then return nil end
  return string.match(m, '^1|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)$')
end
local function expiry(k)
  local l, i, x = meta(redis.call('HGET', k, 'm'))
  l, i, x = tonumber(l), tonumber(i), tonumber(x)
  if not l or not i or not x then return nil end
  if i > 0 then return math.min(l + i, x) end
  return x
end
local function live(k, now)
  local e = expiry(k)
  return e ~= nil and now < e
end
`;

/**
 * ARGV values per HSET/HDEL. `unpack` pushes every value onto Lua's C stack, which holds
 * about 8,000 (LUAI_MAXCSTACK), so one HSET of a session with ~4,000 data keys failed with
 * "too many results to unpack". Even, so a batch never splits a field from its value; a
 * usual session is one batch, one command, as before.
 */
const BATCH = 1000;

/** `cmd k ARGV[from..to]`, BATCH values at a time (nothing when from > to). Still one script. */
const BATCHED = `
local function batched(cmd, k, from, to)
  for n = from, to, ${BATCH} do
    redis.call(cmd, k, unpack(ARGV, n, math.min(n + ${BATCH - 1}, to)))
  end
end
`;

/**
 * A read is a plain HGETALL (no script: a fraction of Redis' time per request); only when a
 * touch is due does the store send this, which reads the session again and touches it in one
 * step, and its answer is the read's (so a touch-due read is exactly as atomic as it always
 * was). ARGV: id, now, touchIntervalMs. Returns false (missing) or one string: touched
 * '0'|'1' followed by the HGETALL array as JSON.
 */
const LOAD = `
local k = KEYS[1] .. 's:' .. ARGV[1]
local r = redis.call('HGETALL', k)
if #r == 0 then return false end
local now, iv = tonumber(ARGV[2]), tonumber(ARGV[3])
local mi = 0
for n = 1, #r, 2 do
  if r[n] == 'm' then mi = n + 1 break end
end
local ls, is, xs, bs, ks = meta(r[mi])
local l, i, x = tonumber(ls), tonumber(is), tonumber(xs)
-- Unparsable: hand the raw fields back and let the decoder name the problem.
if not l or not i or not x then return '0' .. cjson.encode(r) end
local e = x
if i > 0 then e = math.min(l + i, x) end
-- Expired: hand it back untouched; the core reports why and destroys it, so a clock
-- that later steps backwards cannot revive it. Inside the touch interval: no write.
if now >= e or now - l < iv then return '0' .. cjson.encode(r) end
r[mi] = '1|' .. ARGV[2] .. '|' .. is .. '|' .. xs .. '|' .. bs .. '|' .. ks
redis.call('HSET', k, 'm', r[mi])
local ne = x
if i > 0 then ne = math.min(now + i, x) end
redis.call('PEXPIRE', k, ne - now)
return '1' .. cjson.encode(r)
`;

/** ARGV: id, ttlMs, field, value, ... Returns 1 when created, 0 when the key exists. */
const CREATE = `${BATCHED}
local k = KEYS[1] .. 's:' .. ARGV[1]
if redis.call('EXISTS', k) == 1 then return 0 end
batched('HSET', k, 3, #ARGV)
redis.call('PEXPIRE', k, ARGV[2])
return 1
`;

/**
 * ARGV: id, now, maxDataBytes, maxKeys, pairs n, field, value (n times), fields to delete...
 * Returns 1, 0 (missing) or 2 (the data after the patch would be over a limit: nothing
 * written). The check sees what concurrent requests wrote, which the core cannot: the size
 * kept in `m` less the old size of each field the patch names (HSTRLEN: a data value is JSON
 * text, never empty, so 0 means absent) plus the new; a patch that only deletes is never
 * refused (it can only shrink the data). The new size goes back into `m` with the patch's
 * first HSET. Sizes are bytes (`#` in Lua, HSTRLEN), as the core counts them; a field name
 * counts without its `d:`.
 */
const UPDATE = `${BATCHED}
local k = KEYS[1] .. 's:' .. ARGV[1]
local ls, is, xs, bs, ks = meta(redis.call('HGET', k, 'm'))
local l, i, x = tonumber(ls), tonumber(is), tonumber(xs)
if not l or not i or not x then return 0 end
local e = x
if i > 0 then e = math.min(l + i, x) end
if tonumber(ARGV[2]) >= e then return 0 end
local last = 5 + 2 * tonumber(ARGV[5])
local bytes, keys = tonumber(bs), tonumber(ks)
-- cur[f]: the size field f has at this point of the patch (false: absent), from HSTRLEN once.
local cur = {}
local n = 6
while n <= #ARGV do
  local f = ARGV[n]
  local old = cur[f]
  if old == nil then
    local len = redis.call('HSTRLEN', k, f)
    old = len > 0 and #f - 2 + len
  end
  if old then
    bytes = bytes - old
    keys = keys - 1
  end
  if n < last then
    cur[f] = #f - 2 + #ARGV[n + 1]
    bytes = bytes + cur[f]
    keys = keys + 1
    n = n + 2
  else
    cur[f] = false
    n = n + 1
  end
end
if bytes < 0 then bytes = 0 end
if keys < 0 then keys = 0 end
if last > 5 and (bytes > tonumber(ARGV[3]) or keys > tonumber(ARGV[4])) then return 2 end
local m = '1|' .. ls .. '|' .. is .. '|' .. xs .. '|' .. bytes .. '|' .. keys
local first = math.min(last, ${5 + BATCH - 2})
redis.call('HSET', k, 'm', m, unpack(ARGV, 6, first))
batched('HSET', k, first + 1, last)
batched('HDEL', k, last + 1, #ARGV)
return 1
`;

/** ARGV: id, userId or ''. Returns 1 when the key existed. */
const DESTROY = `
local k = KEYS[1] .. 's:' .. ARGV[1]
local u = redis.call('HGET', k, 'u')
if not u or u == '' then u = ARGV[2] end
local n = redis.call('DEL', k)
if u ~= '' then redis.call('ZREM', KEYS[1] .. 'u:' .. u, ARGV[1]) end
return n
`;

/**
 * KEYS: new base, old base (equal when one slot). ARGV: now, newId, ttlMs, fromId or '',
 * fromUser or '', toUser or '', max (-1: no cap, no index), policy, createdAt, absExpiresAt,
 * field, value, ... Returns {'ok', evicted handles} | {'limit'} | {'conflict'}.
 */
const ROTATE = `${BATCHED}
local now = tonumber(ARGV[1])
local nk = KEYS[1] .. 's:' .. ARGV[2]
local fid = ARGV[4]
local fk = false
if fid ~= '' then
  fk = KEYS[2] .. 's:' .. fid
  if not live(fk, now) then return {'conflict'} end
end
if redis.call('EXISTS', nk) == 1 then return {'conflict'} end
local max = tonumber(ARGV[7])
local idx = false
local evicted = {}
if ARGV[6] ~= '' and max >= 0 then
  idx = KEYS[1] .. 'u:' .. ARGV[6]
  local keep = {}
  for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
    local mk = KEYS[1] .. 's:' .. m
    if mk ~= fk then
      if live(mk, now) then
        keep[#keep + 1] = m
      else
        redis.call('ZREM', idx, m)
        redis.call('DEL', mk)
      end
    end
  end
  if #keep >= max then
    if ARGV[8] == 'reject' then return {'limit'} end
    local n = 1
    while #keep - n + 1 >= max and n <= #keep do
      local mk = KEYS[1] .. 's:' .. keep[n]
      evicted[#evicted + 1] = redis.call('HGET', mk, 'h') or string.sub(keep[n], 1, ${HANDLE_CHARS})
      redis.call('DEL', mk)
      redis.call('ZREM', idx, keep[n])
      n = n + 1
    end
  end
end
if fk then
  redis.call('DEL', fk)
  if ARGV[5] ~= '' then redis.call('ZREM', KEYS[2] .. 'u:' .. ARGV[5], fid) end
end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  batched('HSET', nk, 11, #ARGV)
  redis.call('PEXPIRE', nk, ttl)
  if idx then
    redis.call('ZADD', idx, ARGV[9], ARGV[2])
    -- The index lives as long as its longest-lived session can (absolute deadline).
    local ittl = tonumber(ARGV[10]) - now
    if redis.call('PTTL', idx) < ittl then redis.call('PEXPIRE', idx, ittl) end
  end
end
return {'ok', evicted}
`;

/** Second step of a cross-slot rotate on Cluster. ARGV: fromId, fromUser or '', now. Returns 1 or 0. */
const CONSUME = `
local k = KEYS[1] .. 's:' .. ARGV[1]
if not live(k, tonumber(ARGV[3])) then return 0 end
redis.call('DEL', k)
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[1] .. 'u:' .. ARGV[2], ARGV[1]) end
return 1
`;

/** ARGV: userId, now. Returns {{id, HGETALL}, ...} of live sessions, oldest first; prunes the rest. */
const LIST = `
local idx = KEYS[1] .. 'u:' .. ARGV[1]
local now = tonumber(ARGV[2])
local out = {}
for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  local mk = KEYS[1] .. 's:' .. m
  if live(mk, now) then
    out[#out + 1] = {m, redis.call('HGETALL', mk)}
  else
    redis.call('ZREM', idx, m)
    redis.call('DEL', mk)
  end
end
return out
`;

/**
 * ARGV: userId, now, mode, arg. Mode 'only': revoke the session whose handle is arg;
 * 'except': all but the session id arg; 'all': all (arg ''). The mode is explicit so that an
 * empty arg can never widen a one-session revoke into revoke-all. Prunes dead entries it
 * meets. Returns how many live sessions were revoked.
 */
const REVOKE = `
local idx = KEYS[1] .. 'u:' .. ARGV[1]
local now = tonumber(ARGV[2])
local mode, arg = ARGV[3], ARGV[4]
local n = 0
for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  local mk = KEYS[1] .. 's:' .. m
  local alive = live(mk, now)
  local hit
  if mode == 'only' then hit = (redis.call('HGET', mk, 'h') or string.sub(m, 1, ${HANDLE_CHARS})) == arg
  elseif mode == 'except' then hit = m ~= arg
  else hit = mode == 'all' end
  if not alive or hit then
    redis.call('ZREM', idx, m)
    redis.call('DEL', mk)
    if alive then
      n = n + 1
      if mode == 'only' then return n end
    end
  end
end
return n
`;

/** A script as EVALSHA needs it: its text and SHA-1. `prelude` '' for one that needs no helper. */
export function script(name: string, body: string, prelude = PRELUDE): Script {
  const lua = prelude + body;
  return Object.freeze({ name, lua, sha: createHash('sha1').update(lua).digest('hex') });
}

export const SCRIPTS = Object.freeze({
  load: script('load', LOAD),
  create: script('create', CREATE),
  update: script('update', UPDATE),
  destroy: script('destroy', DESTROY),
  rotate: script('rotate', ROTATE),
  consume: script('consume', CONSUME),
  list: script('list', LIST),
  revoke: script('revoke', REVOKE),
});

/**
 * The express-session migration source (connect-redis-source.ts): KEYS[1] is connect-redis'
 * own key (`sess:<sid>`), a plain string. `take` answers [json, pttl] and deletes it in the
 * same step (nil when absent); `restore` puts it back unless the key was written meanwhile,
 * with its remaining lifetime (ARGV[2] ms; 0: none).
 */
export const CONNECT_REDIS_SCRIPTS = Object.freeze({
  take: script(
    'connect-redis take',
    `local v = redis.call('GET', KEYS[1])
if not v then return false end
local t = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
return {v, t}`,
    '',
  ),
  restore: script(
    'connect-redis restore',
    `if ARGV[2] == '0' then return redis.call('SET', KEYS[1], ARGV[1], 'NX') end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')`,
    '',
  ),
});
