-- wrk script for scripts/bench-replies.sh. Each thread walks its share of the personal
-- links in $BENCH_TOKENS round-robin. PUT submits the reply of the next link with
-- `new_projects` flipped on each pass and the text naming $BENCH_RUN, so that after the
-- warm-up's first submissions every request of every run is a revision that writes. GET reads the
-- JSON of the answering page; PAGE reads the server-rendered page; FORM posts its form (a
-- revision, answered with a redirect).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local method = os.getenv("BENCH_METHOD") or "PUT"
local run = os.getenv("BENCH_RUN") or "0"
local counter = 0

local function body(flip)
  return '{"answers": {' ..
    '"follow_up_actions": {"choices": ["share_materials", "submit_report"]},' ..
    '"lessons_applied": {"text": "Reviewed our AEO program against the regional good practices (run ' .. run .. ')."},' ..
    '"direct_effects": {"yes": true, "comment": "Compliance division now advises AEOs."},' ..
    '"efficiency_improved": {"yes": true},' ..
    '"new_projects": {"yes": ' .. (flip and "true" or "false") .. '}}}'
end

-- The same answers as the answering page's form posts them.
local function form(flip)
  return "follow_up_actions=share_materials&follow_up_actions=submit_report" ..
    "&lessons_applied=Reviewed+our+AEO+program+against+the+regional+good+practices+(run+" .. run .. ")." ..
    "&direct_effects=yes&direct_effects.comment=Compliance+division+now+advises+AEOs." ..
    "&efficiency_improved=yes&new_projects=" .. (flip and "no" or "yes")
end

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

function init(args)
  step = 0
end

function request()
  local mine = math.floor((#tokens - thread_index - 1) / threads) + 1
  local position = step % mine
  local pass = math.floor(step / mine)
  step = step + 1
  local token = tokens[thread_index + 1 + position * threads]
  if method == "GET" then
    return wrk.format("GET", "/v1/respond/" .. token)
  end
  if method == "PAGE" then
    return wrk.format("GET", "/respond/" .. token)
  end
  if method == "FORM" then
    return wrk.format("POST", "/respond/" .. token,
      {["Content-Type"] = "application/x-www-form-urlencoded"}, form(pass % 2 == 0))
  end
  return wrk.format("PUT", "/v1/respond/" .. token,
    {["Content-Type"] = "application/json"}, body(pass % 2 == 0))
end
