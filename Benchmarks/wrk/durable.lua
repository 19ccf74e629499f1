-- POST /durable-notification/{email} with a distinct email per request:
-- user<thread>-<n>@example.com, empty body (Content-Length: 0).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local n = 0
function request()
   n = n + 1
   return wrk.format("POST", "/durable-notification/user" .. tid .. "-" .. n .. "@example.com", nil, "")
end
