import { createHash } from 'node:crypto';

/**
 * Lua scripts for the operations Redis has no single command for. A script runs atomically,
 * which is what makes compare-and-set and "TTL only on creation" correct under concurrency
 * without WATCH/MULTI retries. Member expiry uses the server's clock (TIME), so every process
 * sharing the Redis agrees on who is present whatever their own clocks say.
 */
export interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS[1]; ARGV: by, ttlSeconds (0 = none). Returns the new value. */
export const incrementScript = script(`
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return value
`);

/**
 * KEYS[1]; ARGV: expectedPresent ('1'|'0'), expected, nextPresent ('1'|'0'), next, ttlSeconds.
 * Returns 1 when swapped.
 */
export const compareAndSetScript = script(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] == '1' then
  if tonumber(ARGV[5]) > 0 then
    redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5])
  else
    redis.call('SET', KEYS[1], ARGV[4])
  end
else
  redis.call('DEL', KEYS[1])
end
return 1
`);

/**
 * A set with per-member expiry is a sorted set scored by expiry in epoch ms (+inf for none).
 * The key itself expires with its longest-lived member, so an abandoned set frees itself.
 * A member is expired when now > score, as a key is expired when now > its expiry.
 * KEYS[1]; ARGV: member, ttlSeconds (0 = none).
 */
export const setAddScript = script(`${NOW_MS}
local score = '+inf'
if tonumber(ARGV[2]) > 0 then score = now + tonumber(ARGV[2]) * 1000 end
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], top[2])
end
return 1
`);

/** KEYS[1]; ARGV: member. Returns 1 when a live member was removed. */
export const setRemoveScript = script(`${NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if score ~= 'inf' and tonumber(score) < now then return 0 end
return 1
`);

/** KEYS[1]. Drops expired members, returns [member, score, ...] of the live ones. */
export const setMembersScript = script(`${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`);
