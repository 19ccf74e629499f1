-- POST of the URL's path with an empty body (Content-Length: 0), e.g.
-- POST /slow/50 for the background load of the "slow tasks" scenario.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.body = ""
