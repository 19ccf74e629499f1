-- POST /send-notification/{email} with a distinct email per request:
-- user<thread>-<n>@example.com, empty body (Content-Length: 0). Another route prefix can
-- be given after `--`: `wrk ... -s notify.lua URL -- /durable-notification/`.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local prefix = "/send-notification/"
function init(args)
   if args[1] then prefix = args[1] end
end

local n = 0
function request()
   n = n + 1
   return wrk.format("POST", prefix .. "user" .. tid .. "-" .. n .. "@example.com", nil, "")
end
