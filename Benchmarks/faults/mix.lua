-- wrk script for the soak test: 15 of every 16 requests GET /plaintext, 1 POSTs
-- /send-notification/<distinct email> (a background task appends a line).
local counter = 0
function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
end

function init(args)
   n = 0
   prefix = "soak" .. tostring(id) .. "-"
   plain = wrk.format("GET", "/plaintext")
end

function request()
   n = n + 1
   if n % 16 == 0 then
      return wrk.format("POST", "/send-notification/" .. prefix .. n .. "@example.com", nil, "")
   end
   return plain
end
