-- luacheck (Debian lua-check) over the scripts of RedisHistoryStore; run from this directory
-- by the test lua.luacheck (tests/CMakeLists.txt).
std = "lua51"  -- the Lua of Redis
max_line_length = 100
-- What Redis gives every script.
read_globals = {"redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit", "struct"}

-- A script is one chunk: "local SMALL_FIELDS = <n>" (from C++), the prelude's parts it needs,
-- in order (prelude.lua, prelude_facts.lua, prelude_writes.lua), then its body; see
-- history/redis_scripts.cc. Each part sees the locals of the parts before it: those are
-- declared here, per file, as globals. The prelude's parts define locals for the parts after
-- them, so unused ones are expected there.
local function concat(...)
  local all = {}
  for _, list in ipairs({...}) do
    for _, name in ipairs(list) do all[#all + 1] = name end
  end
  return all
end
local prelude = {"SMALL_FIELDS", "now", "report_window", "cooldown", "call", "unpack6", "sub",
                 "REGION", "RESPONDED", "SENT_AT", "ACCEPTED", "WITHDRAWN", "SPAM", "SENT", "MARK",
                 "volume_floor", "acceptance_floor", "int", "short", "asked", "olds", "is_pair"}
-- Set or changed by later parts.
local shared = {"pair", "head", "big"}
local facts = {"reports_in_window", "read_h", "facts"}
local writes = {"t6", "call_in_chunks", "restriction_active", "drop", "prune_reporters", "prune",
                "cache", "grow", "oldest", "cap", "cap_reporters", "touch", "report_ttl", "rekey", "migrate", "track"}

files["prelude.lua"] = {read_globals = {"SMALL_FIELDS"}, unused = false}
files["prelude_facts.lua"] = {read_globals = prelude, globals = shared, unused = false}
files["prelude_writes.lua"] = {read_globals = concat(prelude, facts), globals = shared,
                               unused = false}
files["get_facts.lua"] = {read_globals = concat(prelude, facts), globals = shared}
for _, script in ipairs({"record_invitation.lua", "record_response.lua", "release.lua",
                         "rekey.lua"}) do
  files[script] = {read_globals = concat(prelude, facts, writes), globals = shared}
end
