-- A citizen's check-in as lived: the venue page the QR opens (GET) and "Enter"
-- (POST, answered with the answer page), one person after another. Run with as
-- many threads as connections (wrk -tN -cN), so that each thread owns one
-- connection and its two requests go in order.
--
--   wrk -tN -cN ... -s bench/wrk/lived.lua http://127.0.0.1:8765 -- FILE N HOST ORIGIN CSRFTOKEN
--
-- A line is PATH <tab> BODY <tab> COOKIE, as for checkin.lua. done() prints
-- "BENCH_JSON {...}" with the interactions completed (both answers as
-- expected) besides wrk's per-request figures.

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

setup = common.setup

function init(args)
   local path, nthreads = args[1], tonumber(args[2])
   host, origin, token = args[3], args[4], args[5]
   people = common.lines(path, nthreads, id)
   position, step = 0, 0
   wraps, unexpected, interactions = 0, 0, 0
end

local function headers(person, extra)
   local h = {
      ["Host"] = host,
      ["Cookie"] = person.cookie,
      ["X-Forwarded-Proto"] = "https",
   }
   for key, value in pairs(extra or {}) do
      h[key] = value
   end
   return h
end

function request()
   if step == 0 then
      position = position + 1
      if position > #people then
         position = 1
         wraps = wraps + 1
      end
   end
   local person = people[position]
   if step == 0 then
      return wrk.format("GET", person.target, headers(person))
   end
   return wrk.format("POST", person.target, headers(person, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = origin,
      ["X-CSRFToken"] = token,
   }), person.body)
end

function response(status, response_headers, body)
   if step == 0 then
      if status == 200 then step = 1 else unexpected = unexpected + 1 end
   else
      -- The answer page itself, naming the address a reload asks for.
      if status == 200 and response_headers["Content-Location"] then
         interactions = interactions + 1
      else
         unexpected = unexpected + 1
      end
      step = 0
   end
end

function done(summary, latency, requests)
   common.report(summary, latency, string.format('"interactions": %d, ', common.total("interactions")))
end
