-- Argo CD health check for access.pim-operator.dev/PIMAssignmentRequest and
-- PIMEligibilityRequest.
-- Mirrors kstatus (DESIGN section 3): observedGeneration first, then Stalled,
-- Reconciling and Ready. Ready means "the operator has done what the spec
-- asks", not "access is live": an ended or not-yet-started request is Healthy.
local hs = {}

local function field(t, key)
  if type(t) ~= "table" then
    return nil
  end
  return t[key]
end

local function text(v)
  if v == nil then
    return ""
  end
  return tostring(v)
end

local function conditionText(c, fallback)
  local msg = text(field(c, "message"))
  if msg ~= "" then
    return msg
  end
  local reason = text(field(c, "reason"))
  if reason ~= "" then
    return reason
  end
  return fallback
end

local metadata = field(obj, "metadata")
local status = field(obj, "status")
local generation = field(metadata, "generation")

if type(status) ~= "table" or field(status, "observedGeneration") ~= generation or generation == nil then
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = "waiting for the operator to observe generation " .. text(generation)
  else
    hs.message = "waiting for the operator to observe the object"
  end
  return hs
end

local conditions = {}
local list = field(status, "conditions")
if type(list) == "table" then
  for _, c in ipairs(list) do
    local t = field(c, "type")
    if type(t) == "string" and conditions[t] == nil then
      conditions[t] = c
    end
  end
end

local function isTrue(c)
  return field(c, "status") == "True"
end

local stalled = conditions["Stalled"]
local reconciling = conditions["Reconciling"]
local ready = conditions["Ready"]

if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = conditionText(stalled, "stalled")
  return hs
end

if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = conditionText(reconciling, "reconciling")
  return hs
end

if isTrue(ready) then
  local graphStatus = text(field(status, "graphStatus"))
  if graphStatus == "" then
    graphStatus = "unknown"
  end
  local parts = { "Graph status " .. graphStatus }
  local cancelled = conditions["Cancelled"]
  if isTrue(cancelled) then
    local part = "Cancelled"
    local reason = text(field(cancelled, "reason"))
    if reason ~= "" then
      part = part .. " (" .. reason .. ")"
    end
    local msg = text(field(cancelled, "message"))
    if msg ~= "" then
      part = part .. ": " .. msg
    end
    table.insert(parts, part)
  end
  -- Whether the access is in force: Active for an assignment, Eligible for an eligibility.
  for _, kind in ipairs({"Active", "Eligible"}) do
    local live = conditions[kind]
    if live ~= nil then
      local part = kind .. "=" .. text(field(live, "status"))
      local reason = text(field(live, "reason"))
      if reason ~= "" then
        part = part .. " (" .. reason .. ")"
      end
      table.insert(parts, part)
    end
  end
  hs.status = "Healthy"
  hs.message = table.concat(parts, "; ")
  return hs
end

if ready ~= nil and field(ready, "status") == "False" then
  hs.status = "Progressing"
  hs.message = conditionText(ready, "not ready")
  return hs
end

hs.status = "Progressing"
hs.message = "waiting for conditions"
return hs
