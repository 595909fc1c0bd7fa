-- wrk script for bench/inbox/run.sh: POSTs pre-signed Meta webhook deliveries to /webhooks/meta,
-- each body once, in the order of the file bench/inbox/bodies.py wrote.
--
--   wrk -t1 -c64 -d10s --latency -s bench/inbox/webhooks.lua URL -- BODIES [LIMIT] [RATE] [THREADS] [ACKED_FILE]
--
-- BODIES: lines "sha256=<hex>\t<body>". LIMIT (0: no limit): send at most this many and stop
-- once all of them are answered (the burst). RATE (0: as fast as the connections go): start
-- requests on a fixed schedule of RATE per second per wrk thread (each request waits for the
-- next free slot; a connection that is still waiting for an answer takes none, so give more
-- connections than RATE × the latency).
-- Sustained runs need more lines than requests: past the end the script starts again at the
-- first line (a repeat, which the server must store once) and says so in its result.
-- With several wrk threads (THREADS, the same number as wrk's -t) each takes every n-th line,
-- so no body is sent twice. ACKED_FILE: where done() writes the number of 2xx answers (a
-- timed run), the moment wrk has finished, for a poller waiting on it.
-- done() prints one line "RESULT {json}" (latencies in microseconds, times in Unix seconds).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
    ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME, comparable with Python's time.time()
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
local thread_count = 0
function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_index", thread_count)
    table.insert(threads, thread)
end

-- Per-thread state (read back by done() through thread:get).
reqs, n, sent, reserved, ok, other, wrapped = {}, 0, 0, 0, 0, 0, 0
limit, rate, next_at, first_at, last_at = 0, 0, 0, 0, 0

function init(args)
    local path = args[1]
    limit = tonumber(args[2] or "0")
    rate = tonumber(args[3] or "0")
    local threads_total = tonumber(args[4] or "1")
    acked_file = args[5] or ""
    local index = 0
    local headers = { ["Content-Type"] = "application/json" }
    for line in io.lines(path) do
        index = index + 1
        if (index - 1) % threads_total == (thread_index or 1) - 1 then
            local tab = line:find("\t", 1, true)
            headers["X-Hub-Signature-256"] = line:sub(1, tab - 1)
            n = n + 1
            reqs[n] = wrk.format("POST", "/webhooks/meta", headers, line:sub(tab + 1))
        end
    end
    verify_pending = (thread_index or 1) == 1
    if limit > 0 then
        limit = math.min(limit, n)
    else
        response = nil -- wrk skips parsing responses when there is no callback
        if rate == 0 then
            delay = nil
        end
    end
end

-- Called once before each request (wrk: every request of a script with delay() is delayed),
-- so the count of requests reserved here is exact; past LIMIT a connection waits an hour.
-- Returns milliseconds.
function delay()
    if limit > 0 and reserved >= limit then
        return 3600000
    end
    reserved = reserved + 1
    if rate == 0 then
        return 0
    end
    local t = now()
    if next_at == 0 then
        next_at = t
    end
    local slot = next_at
    next_at = next_at + 1 / rate
    return math.max(0, math.floor((slot - t) * 1000 + 0.5))
end

-- wrk calls request() once on the first thread's state before the run, to check what it
-- returns (script_verify_request); that call is answered without counting it.
function request()
    if verify_pending then
        verify_pending = false
        return reqs[1]
    end
    if sent == 0 then
        first_at = now()
    end
    sent = sent + 1
    local i = sent
    if i > n then
        wrapped = wrapped + 1
        i = (i - 1) % n + 1
    end
    return reqs[i]
end

function response(status, headers, body)
    if status >= 200 and status < 300 then
        ok = ok + 1
    else
        other = other + 1
    end
    if ok + other == limit then
        last_at = now()
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local total = { sent = 0, ok = 0, other = 0, wrapped = 0, bodies = 0, first_at = nil, last_at = 0 }
    for _, t in ipairs(threads) do
        total.sent = total.sent + t:get("sent")
        total.ok = total.ok + t:get("ok")
        total.other = total.other + t:get("other")
        total.wrapped = total.wrapped + t:get("wrapped")
        total.bodies = total.bodies + t:get("n")
        local f, l = t:get("first_at"), t:get("last_at")
        if f > 0 and (total.first_at == nil or f < total.first_at) then
            total.first_at = f
        end
        if l > total.last_at then
            total.last_at = l
        end
    end
    local e = summary.errors
    local path = threads[1] and threads[1]:get("acked_file") or ""
    if path ~= "" and threads[1]:get("limit") == 0 then
        local f = assert(io.open(path .. ".tmp", "w"))
        f:write(tostring(summary.requests - e.status), "\n")
        f:close()
        assert(os.rename(path .. ".tmp", path))
    end
    io.write(string.format(
        'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,'
            .. '"write_errors":%d,"timeouts":%d,"sent":%d,"bodies":%d,"wrapped":%d,"limited_ok":%d,'
            .. '"limited_other":%d,"first_at":%.6f,"last_at":%.6f,"ended_at":%.6f,'
            .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
        summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
        total.sent, total.bodies, total.wrapped, total.ok, total.other, total.first_at or 0, total.last_at, now(),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
