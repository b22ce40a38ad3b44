-- The rate-limit ledger of one (API key, base URL), shared by every process through Redis.
--
-- One call does all a process needs in one round trip: it renews the process's lease, forgets
-- processes whose lease ran out (their places, tickets and probe), folds in what responses said
-- (releasing their places), drops cancelled tickets, and admits the process's waiters in the
-- order every process asked (tickets). The rules are the in-process ledger's (memory.rs): a
-- request goes out only while in_flight < remaining in the current window; with nothing known
-- (or the window passed) one probe goes first; a 429 sets remaining to 0 until the reset; a
-- window that only successful responses said is used up, ending more than recheck_ms ahead,
-- lets one request through each recheck_ms to check it, and a 2xx to that request forgets it.
-- Time is Redis's clock (TIME), the same for every process; callers pass durations.
--
-- KEYS: 1 state (hash), 2 places (zset, all scores 0, members "owner:place"),
--       3 tickets (zset scored by ticket number, members "owner:ticket"),
--       4 owners (zset scored by lease expiry, ms), 5 ticket counter
-- ARGV: owner, lease_ms, ttl_ms, next_place, recheck_ms,
--       n_waiters, then per waiter its ticket (0 = none yet),
--       n_cancelled, then ticket numbers,
--       n_released, then per release 9 fields:
--         place, probe (0|1), kind (r: response with rate-limit headers, n: response without,
--         x: no response, u: never used), is_429 (0|1), reset (raw X-RateLimit-Reset),
--         remaining, until_ms (upper bound of the time to the reset), retry_ms (-1: none),
--         success (0|1: a 2xx)
-- Returns: { code, wait_ms, available, probe (0|1), granted, owners (live processes), then per
--           waiter 0 (admitted) or its ticket number }
--   code 0: unlimited (the server sends no rate-limit headers)
--        1: a window is open; waiters not admitted wait for its end (wait_ms) unless places
--           remain (available > 0) that waiters ahead of them are about to take
--        2: nothing known and a probe is out: wait for its answer
--        3: nothing known and another process's waiter is first in line to probe

local k_state, k_places, k_tickets, k_owners, k_seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local owner = ARGV[1]
local lease = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local next_place = tonumber(ARGV[4])
local recheck_after = tonumber(ARGV[5])
local RESET_MARGIN = 5
local MAX_WAIT = 86400000
local BLIND_429_PAUSE = 1000

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local i = 6
local waiters = {}
local n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do waiters[k] = ARGV[i]; i = i + 1 end
local cancelled = {}
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do cancelled[k] = ARGV[i]; i = i + 1 end

local s = redis.call('HMGET', k_state, 'mode', 'reset', 'ends', 'rem', 'newest', 'probe', 'by429',
  'heard', 'recheck')
local mode = s[1] or 'u'
local reset = s[2] or ''
local ends = tonumber(s[3] or '0')
local rem = tonumber(s[4] or '0')
local newest = s[5]
local probe = s[6]
-- Whether a 429 said the window is used up (else only successful responses did).
local by429 = s[7] == '1'
-- When a response (or a recheck admitted) last told of the window, ms; 0: never.
local heard = tonumber(s[8] or '0')
-- The place of the last recheck admitted, until it is released.
local recheck = s[9]

local function owned_by(member, o)
  return string.sub(member, 1, #o + 1) == o .. ':'
end

-- 1. Processes whose lease ran out (killed, frozen, partitioned) free what they held.
local dead = redis.call('ZRANGEBYSCORE', k_owners, '-inf', now, 'LIMIT', 0, 16)
for _, o in ipairs(dead) do
  if o ~= owner then
    redis.call('ZREMRANGEBYLEX', k_places, '[' .. o .. ':', '(' .. o .. ';')
    for _, m in ipairs(redis.call('ZRANGE', k_tickets, 0, -1)) do
      if owned_by(m, o) then redis.call('ZREM', k_tickets, m) end
    end
    if probe and owned_by(probe, o) then probe = false end
    if recheck and owned_by(recheck, o) then recheck = false end
  end
  redis.call('ZREM', k_owners, o)
end
redis.call('ZADD', k_owners, now + lease, owner)
local peers = redis.call('ZCARD', k_owners)

-- 2. What responses said, and the places they free.
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local member = owner .. ':' .. ARGV[i]
  local was_probe, kind, is_429 = ARGV[i + 1] == '1', ARGV[i + 2], ARGV[i + 3] == '1'
  local r_reset, r_rem = ARGV[i + 4], tonumber(ARGV[i + 5])
  local until_ms, retry_ms = tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])
  local success = ARGV[i + 8] == '1'
  i = i + 9
  redis.call('ZREM', k_places, member)
  if was_probe and probe == member then probe = false end
  if recheck == member then
    recheck = false
    -- The server took a request the ledger thought it would refuse: the window was not used
    -- up after all, and this response alone says what it is.
    if success then mode = 'u' end
  end
  if kind == 'r' or kind == 'n' then heard = now end
  if kind == 'r' then
    -- Responses about a window that has already passed are stale.
    if not (newest and tonumber(r_reset) < tonumber(newest)) then
      local e = now + math.min(until_ms, MAX_WAIT) + RESET_MARGIN
      local r = r_rem
      local b = false
      if mode == 'w' and reset == r_reset then
        -- Every process's end is an upper bound of the true reset: the earliest is the tightest.
        e = math.min(e, ends)
        r = math.min(r, rem)
        b = by429
      end
      if is_429 then
        r, b = 0, true
        -- The 429's own word on when to come back wins, before or after the reset.
        if retry_ms >= 0 then e = now + math.min(retry_ms, MAX_WAIT) + RESET_MARGIN end
      end
      newest, mode, reset, ends, rem, by429 = r_reset, 'w', r_reset, e, r, b
    end
  elseif kind == 'n' then
    if is_429 then
      local pause = retry_ms
      if pause < 0 then pause = BLIND_429_PAUSE end
      mode, reset, rem, by429 = 'w', newest or '', 0, true
      ends = now + math.min(pause, MAX_WAIT) + RESET_MARGIN
    else
      mode = 'n'
    end
  elseif kind == 'x' then
    -- The server may have counted it without our hearing of it: take it as spent.
    if mode == 'w' then rem = math.max(rem - 1, 0) end
  end
end

for _, c in ipairs(cancelled) do redis.call('ZREM', k_tickets, owner .. ':' .. c) end

-- 3. Admissions, in the order waiters asked across processes (tickets).
local in_flight = redis.call('ZCARD', k_places)
local queued = redis.call('ZCARD', k_tickets)
local granted = 0
local function add_place()
  local member = owner .. ':' .. (next_place + granted)
  redis.call('ZADD', k_places, 0, member)
  granted = granted + 1
  in_flight = in_flight + 1
  return member
end
local function take(k)
  if waiters[k] ~= '0' then redis.call('ZREM', k_tickets, owner .. ':' .. waiters[k]) end
  return add_place()
end
local function new_ticket()
  local seq = redis.call('INCR', k_seq)
  redis.call('ZADD', k_tickets, seq, owner .. ':' .. seq)
  return tostring(seq)
end
-- A ticket that is gone (this owner's lease ran out meanwhile) is no ticket.
for k = 1, #waiters do
  if waiters[k] ~= '0' and not redis.call('ZSCORE', k_tickets, owner .. ':' .. waiters[k]) then
    waiters[k] = '0'
  end
end

local out = {}
local code, wait, available, probed = 0, 0, 0, 0
local open = mode == 'w' and now < ends
-- Whether one request may go past a used-up window to check it (memory.rs's RECHECK_AFTER).
local function recheck_due()
  return open and not by429 and ends > now + recheck_after and now >= heard + recheck_after
end
if mode == 'n' then
  for k = 1, #waiters do take(k); out[k] = 0 end
elseif open and queued == 0 then
  -- Nobody in line: places go at once while they last, the rest take tickets.
  code, wait = 1, ends - now
  for k = 1, #waiters do
    if in_flight < rem then
      add_place(); out[k] = 0
    elseif recheck_due() then
      recheck, heard = add_place(), now; out[k] = 0
    else
      out[k] = tonumber(new_ticket())
    end
  end
  available = math.max(rem - in_flight, 0)
else
  for k = 1, #waiters do
    if waiters[k] == '0' then waiters[k] = new_ticket() end
  end
  if open then
    -- A waiter goes while fewer tickets are ahead of it than places remain.
    code, wait = 1, ends - now
    for k = 1, #waiters do
      local rank = redis.call('ZRANK', k_tickets, owner .. ':' .. waiters[k])
      if rank < rem - in_flight then
        take(k); out[k] = 0
      elseif rank == 0 and recheck_due() then
        recheck, heard = take(k), now; out[k] = 0
      else
        out[k] = tonumber(waiters[k])
      end
    end
    available = math.max(rem - in_flight, 0)
  else
    -- Nothing known: one probe, the first in line's; the others wait for its answer.
    code = probe and 2 or 3
    local head = (not probe) and redis.call('ZRANGE', k_tickets, 0, 0)[1]
    for k = 1, #waiters do
      if code == 3 and head == owner .. ':' .. waiters[k] then
        probe = take(k); out[k] = 0
        mode, probed, code = 'u', 1, 2
      else
        out[k] = tonumber(waiters[k])
      end
    end
  end
end

-- 4. Write back; every key expires on its own once no process uses it.
redis.call('HSET', k_state, 'mode', mode, 'reset', reset, 'ends', ends, 'rem', rem,
  'by429', by429 and '1' or '0', 'heard', heard)
if newest then redis.call('HSET', k_state, 'newest', newest) end
if recheck then
  redis.call('HSET', k_state, 'recheck', recheck)
else
  redis.call('HDEL', k_state, 'recheck')
end
if probe then
  redis.call('HSET', k_state, 'probe', probe)
else
  redis.call('HDEL', k_state, 'probe')
end
local expiry = ttl + math.max(ends - now, 0)
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, expiry) end

local reply = { code, wait, available, probed, granted, peers }
for k = 1, #out do reply[#reply + 1] = out[k] end
return reply
