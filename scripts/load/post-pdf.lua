-- wrk script for scripts/load-test.sh: POSTs the PDF named by $ESEAL_LOAD_BODY with the API
-- key in $ESEAL_KEY and, when done, prints one JSON line (counts, latency percentiles in ms)
-- that the load driver (api/tests/service_load.rs) reads.
local f = assert(io.open(os.getenv("ESEAL_LOAD_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/pdf"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ESEAL_KEY")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non_2xx":%d,"errors":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
