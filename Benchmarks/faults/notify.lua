-- wrk script: POST /send-notification/<distinct email> and count 2xx responses.
-- The count of each thread is printed by done() as "wrk_2xx=<n> wrk_non2xx=<m>".
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   ok = 0
   bad = 0
   n = 0
   prefix = "t" .. tostring(id) .. "-"
end

function request()
   n = n + 1
   return wrk.format("POST", "/send-notification/" .. prefix .. n .. "@example.com", nil, "")
end

function response(status, headers, body)
   if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
   local total_ok, total_bad = 0, 0
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      total_bad = total_bad + thread:get("bad")
   end
   io.write(string.format("wrk_2xx=%d wrk_non2xx=%d\n", total_ok, total_bad))
end
