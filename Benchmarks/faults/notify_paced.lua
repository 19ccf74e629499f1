-- Benchmarks/wrk/notify.lua (POST <prefix><distinct email>) with a pause before each request:
-- `wrk ... -s notify_paced.lua URL -- /durable-notification/ 4` waits 4 ms on each connection
-- before each request, which keeps the rate steady (and moderate) on a shared machine.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../wrk/notify.lua")

local notify_init = init
local pause = 0
function init(args)
   notify_init(args)
   if args[2] then pause = tonumber(args[2]) end
end

function delay()
   return pause
end
