-- What checkin.lua and lived.lua share: numbering the threads, giving each its
-- own lines of the request file, adding up their counters, and the one line of
-- JSON ("BENCH_JSON {...}") that bench/run.py reads. Loaded with
-- require("common") from the directory of the script that wrk runs.

local common = {threads = {}}
local created = 0

function common.setup(thread)
   thread:set("id", created)
   created = created + 1
   table.insert(common.threads, thread)
end

-- A line of the file is PATH <tab> BODY <tab> COOKIE. Thread k of n takes lines
-- k, k+n, k+2n… so no two threads send the same person.
function common.lines(path, nthreads, id)
   local mine = {}
   local index = 0
   for line in io.lines(path) do
      if index % nthreads == id then
         local target, body, cookie = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         mine[#mine + 1] = {target = target, body = body, cookie = cookie}
      end
      index = index + 1
   end
   if #mine == 0 then
      error("no requests for thread " .. id .. " in " .. path)
   end
   return mine
end

-- A counter summed over the threads (in done(), which runs in the main state).
function common.total(name)
   local sum = 0
   for _, thread in ipairs(common.threads) do
      sum = sum + (thread:get(name) or 0)
   end
   return sum
end

-- `extra` is more JSON members, each followed by ", " (or "").
function common.report(summary, latency, extra)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, %s"duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"not_302": %d, "wraps": %d, "latency_us": {"mean": %.1f, "stdev": %.1f, "min": %d, ' ..
      '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p99_9": %d, "max": %d}}\n',
      summary.requests, extra, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      common.total("unexpected"), common.total("wraps"), latency.mean, latency.stdev,
      latency.min, latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end

return common
