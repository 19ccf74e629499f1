-- HTTP pipelining: each connection sends DEPTH requests (default 16) for the
-- URL's path in one write and waits for the DEPTH responses before sending
-- the next batch. wrk counts each response as a request; latency is measured
-- per batch. Usage: wrk ... -s pipeline.lua URL -- 16
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local batch

function init(args)
   local depth = tonumber(args[1]) or 16
   local requests = {}
   for i = 1, depth do
      requests[i] = wrk.format()
   end
   batch = table.concat(requests)
end

function request()
   return batch
end
