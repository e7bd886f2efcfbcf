-- One pre-built POST per line of a file that bench/run.py writes, so that every
-- request is a different person (or a different signed-in citizen).
--
--   wrk ... -s bench/wrk/checkin.lua http://127.0.0.1:8765 -- FILE THREADS HOST ORIGIN CSRFTOKEN [STATUS]
--
-- A line is PATH <tab> BODY <tab> COOKIE (common.lines). A thread that runs out of
-- lines starts over and counts a wrap: bench/run.py reports it, because a second
-- check-in of the same person is cheaper (nothing new is written) and would
-- flatter the result. done() prints one line of JSON, "BENCH_JSON {...}", for
-- bench/run.py to read.

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

setup = common.setup

function init(args)
   local path, nthreads, host, origin, token = args[1], tonumber(args[2]), args[3], args[4], args[5]
   -- A check-in answers with a redirect, a staff scan with its page (200).
   expected = tonumber(args[6] or "302")
   requests = {}
   for _, line in ipairs(common.lines(path, nthreads, id)) do
      requests[#requests + 1] = wrk.format("POST", line.target, {
         ["Host"] = host,
         ["Content-Type"] = "application/x-www-form-urlencoded",
         ["Cookie"] = line.cookie,
         ["Origin"] = origin,
         ["X-CSRFToken"] = token,
         -- What the TLS-terminating proxy in front of gunicorn adds.
         ["X-Forwarded-Proto"] = "https",
      }, line.body)
   end
   position = 0
   wraps = 0
   unexpected = 0
end

function request()
   position = position + 1
   if position > #requests then
      position = 1
      wraps = wraps + 1
   end
   return requests[position]
end

-- Every request answers with the expected status; anything else (a form error
-- page, a rate-limit page, a CSRF refusal) is counted, not silently timed.
function response(status, headers, body)
   if status ~= expected then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   common.report(summary, latency, "")
end
