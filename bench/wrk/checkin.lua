-- One pre-built POST per line of a file that bench/run.py writes, so that every
-- request is a different person (or a different signed-in citizen).
--
--   wrk ... -s bench/wrk/checkin.lua http://127.0.0.1:8765 -- FILE THREADS HOST ORIGIN CSRFTOKEN [STATUS]
--
-- A line is PATH <tab> BODY <tab> COOKIE. Thread k of n takes lines k, k+n, k+2n…
-- so no two threads send the same person. A thread that runs out of lines starts
-- over and counts a wrap: bench/run.py reports it, because a second check-in of
-- the same person is cheaper (nothing new is written) and would flatter the result.
-- done() prints one line of JSON, "BENCH_JSON {...}", for bench/run.py to read.

local threads = {}
local created = 0

function setup(thread)
   thread:set("id", created)
   created = created + 1
   table.insert(threads, thread)
end

function init(args)
   local path, nthreads, host, origin, token = args[1], tonumber(args[2]), args[3], args[4], args[5]
   -- A check-in answers with a redirect, a staff scan with its page (200).
   expected = tonumber(args[6] or "302")
   requests = {}
   local index = 0
   for line in io.lines(path) do
      if index % nthreads == id then
         local target, body, cookie = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         requests[#requests + 1] = wrk.format("POST", target, {
            ["Host"] = host,
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Cookie"] = cookie,
            ["Origin"] = origin,
            ["X-CSRFToken"] = token,
            -- What the TLS-terminating proxy in front of gunicorn adds.
            ["X-Forwarded-Proto"] = "https",
         }, body)
      end
      index = index + 1
   end
   if #requests == 0 then
      error("no requests for thread " .. id .. " in " .. path)
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
   local wrapped, others = 0, 0
   for _, thread in ipairs(threads) do
      wrapped = wrapped + (thread:get("wraps") or 0)
      others = others + (thread:get("unexpected") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"not_302": %d, "wraps": %d, "latency_us": {"mean": %.1f, "stdev": %.1f, "min": %d, ' ..
      '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p99_9": %d, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      others, wrapped, latency.mean, latency.stdev, latency.min,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
