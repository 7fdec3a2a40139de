-- wrk script for the zero-loss swap tests: POST one Open Inference Protocol request without
-- pause and tally the answers per thread: 2xx, 503, other statuses, and the model_version of
-- each 2xx answer. One connection per thread (-t N -c N), so a thread's answers come in
-- order: after a connection has seen version v, an older version would be a regression.
-- done() prints one line, SWAP_SUMMARY {...}, with the totals and wrk's socket errors.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	wrk.method = "POST"
	wrk.path = os.getenv("SWAP_PATH") or "/v2/models/m/infer"
	wrk.headers["Content-Type"] = "application/json"
	wrk.body = '{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
	ok, unavailable, other, regressions, last, first, versions = 0, 0, 0, 0, 0, 0, ""
end

function response(status, headers, body)
	if status >= 200 and status < 300 then
		ok = ok + 1
		local v = tonumber(string.match(body, '"model_version":"(%d+)"'))
		if v == nil then
			other = other + 1
		else
			if first == 0 then first = v end
			if v < last then regressions = regressions + 1 end
			if v > last then
				last = v
				versions = versions .. v .. ","
			end
		end
	elseif status == 503 then
		unavailable = unavailable + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local ok_, unavailable_, other_, regressions_, last_ = 0, 0, 0, 0, 0
	local seen = {}
	for _, t in ipairs(threads) do
		ok_ = ok_ + t:get("ok")
		unavailable_ = unavailable_ + t:get("unavailable")
		other_ = other_ + t:get("other")
		regressions_ = regressions_ + t:get("regressions")
		if t:get("last") > last_ then last_ = t:get("last") end
		for v in string.gmatch(t:get("versions"), "(%d+),") do seen[v] = true end
	end
	local count = 0
	for _ in pairs(seen) do count = count + 1 end
	local e = summary.errors
	io.write(string.format('SWAP_SUMMARY {"requests":%d,"ok":%d,"unavailable":%d,"other":%d,' ..
		'"regressions":%d,"last_version":%d,"versions_seen":%d,"connect":%d,"read":%d,' ..
		'"write":%d,"timeout":%d,"status":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
		'"duration_us":%d}\n',
		summary.requests, ok_, unavailable_, other_, regressions_, last_, count, e.connect,
		e.read, e.write, e.timeout, e.status, latency:percentile(50), latency:percentile(99),
		latency.max, summary.duration))
end
