/**
 * The one Lua script that syncs a state document with Redis (see redis-sync.ts for when it runs
 * and what it is sent), and the client type that can call it.
 */
import type { Redis } from 'ioredis';

/**
 * How long Redis remembers the last batch it applied for an instance. A batch is sent again on
 * the instance's next contact with Redis, so this only has to outlast an instance cut off from a
 * Redis that stays up; a live instance renews it with every batch that writes.
 */
const APPLIED_TTL_MS = 24 * 3600_000;

/**
 * KEYS: the index, the instance's applied-batch record (`s:<instance>`), then the hashes. ARGV[1]:
 * per hash [known version, [name, meta] (0 without ops), ops, known epoch]; ARGV[2]: the batch's id
 * (it grows with each batch an instance builds). A batch whose id is not above the recorded one
 * already ran (its reply was lost to a timeout): its ops are skipped, so counts sent again are not
 * counted again, and it is answered like a batch that only asks.
 *
 * An op `r` clears the hash and starts a new epoch (an admin reset); ops from a copy that has not
 * seen the current epoch are dropped (they counted before the reset). Bumps `_v` when anything was
 * written, and returns per hash {version, epoch} when nobody else wrote it since the known
 * version, else {version, epoch, HGETALL}.
 *
 * A hash this copy has seen (known version > 0) but Redis no longer has was lost with Redis's data
 * (a restart without persistence): the answer is {-1} and the copy sends itself whole (ARGV's 5th
 * element), which seeds the hash if it is still missing, or else its usual ops apply. A seeded
 * hash's version jumps by 2^20, so no other copy's known version can pass for current.
 */
export const SYNC_LUA = `
local spec = cjson.decode(ARGV[1])
local id = tonumber(ARGV[2])
local ran = id <= tonumber(redis.call('GET', KEYS[2]) or '0')
local wrote = false
local out = {}
for i = 1, #spec do
  local k = KEYS[i + 2]
  local s = spec[i]
  local ops = s[3]
  local v = tonumber(redis.call('HGET', k, '_v') or '0')
  local e = tonumber(redis.call('HGET', k, '_e') or '0')
  local lost = v == 0 and s[1] > 0
  if lost and (s[5] == nil or ran) then
    out[i] = {-1, 0}
  else
    if lost then
      ops = s[5]
      e = s[4]
      v = s[1] + 1048576
      redis.call('HSET', k, '_v', v, '_e', e)
    elseif ran or e ~= s[4] then
      ops = {}
    end
    local mine = 0
    if #ops > 0 then
      for _, op in ipairs(ops) do
        if op[1] == 'i' then
          local n = redis.call('HINCRBY', k, op[2], op[3])
          if n == 0 and op[4] == 1 then redis.call('HDEL', k, op[2]) end
        elseif op[1] == 's' then
          redis.call('HSET', k, op[2], op[3])
        elseif op[1] == 'r' then
          e = e + 1
          redis.call('DEL', k)
          redis.call('HSET', k, '_v', v, '_e', e)
        else
          redis.call('HDEL', k, op[2])
        end
      end
      v = redis.call('HINCRBY', k, '_v', 1)
      mine = 1
      wrote = true
      redis.call('HSET', KEYS[1], s[2][1], s[2][2])
    end
    if v == s[1] + mine and (e == s[4] or mine == 1) then
      out[i] = {v, e}
    else
      out[i] = {v, e, redis.call('HGETALL', k)}
    end
  end
end
if wrote then redis.call('SET', KEYS[2], id, 'PX', ${APPLIED_TTL_MS}) end
return out
`;

export type SyncingRedis = Redis & { swbSync(numKeys: number, ...args: string[]): Promise<[number, number, string[]?][]> };
