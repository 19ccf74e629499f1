-- POST of the URL's path with an empty body, each connection waiting DELAY ms
-- (the script argument, default 20) before each request: the light, steady
-- load of the "slow tasks" scenario (POST /slow/50), enough to keep a 4-thread
-- pool saturated without turning the run into a 503 benchmark.
-- Besides WRK_JSON it prints WRK_STATUS {"202":n,"503":m,...}: responses per
-- status code, summed over wrk's threads.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.body = ""

local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

local pause = 20
statuses = {}
function init(args)
   pause = tonumber(args[1]) or pause
end

function delay()
   return pause
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local report_done = done
function done(summary, latency, requests)
   report_done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + count
      end
   end
   local items = {}
   for status, count in pairs(total) do
      table.insert(items, string.format('"%d":%d', status, count))
   end
   io.write("WRK_STATUS {" .. table.concat(items, ",") .. "}\n")
end
