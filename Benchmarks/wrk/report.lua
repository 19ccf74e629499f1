-- Shared by every scenario script: at the end of a run, print one line
--   WRK_JSON {...}
-- that Benchmarks/run.py parses (latencies and duration in microseconds).
-- wrk counts responses with status >= 400 in errors.status, so
-- 2xx (+3xx) = requests - errors.status.
--
-- Percentiles come from wrk's latency:percentile(), the figures of
-- `wrk --latency`, with one fix: after a run wrk adds coordinated-omission
-- correction samples, and with pipelining some land below latency.min, where
-- percentile() never looks, so it returns 0 for the top percentiles. When that
-- happens, find the share q of samples percentile() can see (bisection), and
-- ask for p - (100 - q) instead: the rank p has among all samples, including
-- the unseen ones below latency.min.
local function percentile(latency, p)
   local v = latency:percentile(p)
   if v > 0 then return v end
   local lo, hi = 0, p
   for _ = 1, 40 do
      local mid = (lo + hi) / 2
      if latency:percentile(mid) > 0 then lo = mid else hi = mid end
   end
   local shifted = p - (100 - lo)
   if shifted <= 0 then return latency.min end
   return latency:percentile(shifted)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, percentile(latency, 50), percentile(latency, 75), percentile(latency, 90),
      percentile(latency, 99), percentile(latency, 99.9)))
end
