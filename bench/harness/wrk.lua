-- wrk script of the benchmarks: one JSON body per request from a template, with an id unique per request.
-- Arguments (after `--`): template file, method, path, mode ("unique" or "cycle"), id prefix, cycle size,
-- Authorization header value ("" for none).
local threads = {}
local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("thread_id", next_thread)
   table.insert(threads, thread)
end

local template, mode, prefix, cycle
counter = 0  -- global: done() reads it from each thread

function init(args)
   local file = assert(io.open(args[1], "rb"))
   template = file:read("*a")
   file:close()
   wrk.method = args[2]
   wrk.path = args[3]
   mode = args[4]
   prefix = args[5]
   cycle = tonumber(args[6])
   wrk.headers["Content-Type"] = "application/json"
   if args[7] ~= nil and args[7] ~= "" then
      wrk.headers["Authorization"] = args[7]
   end
end

function request()
   local uid, n
   if mode == "cycle" then
      n = counter % cycle -- the same id and the same body as when it was stored
      uid = prefix .. n
   else
      n = counter
      uid = prefix .. thread_id .. "-" .. counter
   end
   local body = template:gsub("__ID__", uid):gsub("__MOD__", tostring(n % 50))
   counter = counter + 1
   return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
   local sent = 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("counter") or 0)
   end
   io.write(string.format(
      'BENCH-RESULT {"duration_us": %d, "requests": %d, "sent": %d, "bytes": %d, ' ..
      '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.duration, summary.requests, sent, summary.bytes,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
      summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
