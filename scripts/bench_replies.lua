-- wrk script for scripts/bench-replies.sh: each request submits (or revises) the reply of
-- the next personal link, round-robin over the tokens in $BENCH_TOKENS.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local body = '{"answers": {' ..
  '"follow_up_actions": {"choices": ["share_materials", "submit_report"]},' ..
  '"lessons_applied": {"text": "Reviewed our AEO program against the regional good practices."},' ..
  '"direct_effects": {"yes": true, "comment": "Compliance division now advises AEOs."},' ..
  '"efficiency_improved": {"yes": true},' ..
  '"new_projects": {"yes": false}}}'
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  next_index = offset
end

function request()
  next_index = next_index % #tokens + 1
  local method = os.getenv("BENCH_METHOD") or "PUT"
  if method == "GET" then
    return wrk.format("GET", "/v1/respond/" .. tokens[next_index])
  end
  return wrk.format("PUT", "/v1/respond/" .. tokens[next_index],
    {["Content-Type"] = "application/json"}, body)
end
