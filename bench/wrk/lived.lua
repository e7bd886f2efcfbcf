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

local threads = {}
local created = 0

function setup(thread)
   thread:set("id", created)
   created = created + 1
   table.insert(threads, thread)
end

function init(args)
   local path, nthreads = args[1], tonumber(args[2])
   host, origin, token = args[3], args[4], args[5]
   people = {}
   local index = 0
   for line in io.lines(path) do
      if index % nthreads == id then
         local target, body, cookie = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         people[#people + 1] = {target = target, body = body, cookie = cookie}
      end
      index = index + 1
   end
   if #people == 0 then
      error("no people for thread " .. id .. " in " .. path)
   end
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
   local wrapped, others, completed = 0, 0, 0
   for _, thread in ipairs(threads) do
      wrapped = wrapped + (thread:get("wraps") or 0)
      others = others + (thread:get("unexpected") or 0)
      completed = completed + (thread:get("interactions") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "interactions": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"not_302": %d, "wraps": %d, "latency_us": {"mean": %.1f, "stdev": %.1f, "min": %d, ' ..
      '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p99_9": %d, "max": %d}}\n',
      summary.requests, completed, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      others, wrapped, latency.mean, latency.stdev, latency.min,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
