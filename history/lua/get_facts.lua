-- GetFacts (and each query of BatchGetFacts). Prelude: prelude.lua, prelude_facts.lua.
-- Reply: facts.

return facts()
