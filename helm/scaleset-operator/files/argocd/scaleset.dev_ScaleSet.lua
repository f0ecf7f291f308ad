-- Argo CD health check for scaleset.dev/ScaleSet (argocd-cm key
-- resource.customizations.health.scaleset.dev_ScaleSet). Plain Lua 5.1 using only what Argo CD
-- gives checks from argocd-cm: the base and table libraries (no string, no math, no os).
--
-- Reads what the operator writes: status.observedGeneration and the kstatus conditions Ready,
-- Reconciling and Stalled, plus RolloutProgressing for a held rollout. In order:
--   being deleted                                   -> Progressing (the finalizer deletes the cloud scale set)
--   no status yet                                   -> Progressing
--   generation != status.observedGeneration        -> Progressing (the status describes an older spec)
--   Stalled=True                                    -> Degraded (needs a person; the reason says why)
--   spec.paused, or RolloutProgressing=False with
--   reason Paused or OutsideMaintenanceWindow       -> Suspended
--   Ready=Unknown                                   -> Unknown (the backend cannot be observed right now;
--                                                      the counts are the last observed ones)
--   Reconciling=True                                -> Progressing
--   Ready=True                                      -> Healthy
--   Ready=False                                     -> Degraded (settled, nothing in progress, and not
--                                                      ready: e.g. InstancesUnhealthy)
--   no Ready condition                              -> Progressing
local hs = {}

local function find(conditions, kind)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function has_status(c, value)
  return c ~= nil and c.status == value
end

-- "Reason: message", or the fallback when the condition says nothing.
local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local text = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. c.message
  end
  if text == "" then
    return fallback
  end
  return text
end

local function counts(status)
  return tostring(status.readyReplicas or 0) .. "/" .. tostring(status.replicas or 0) .. " ready"
end

local meta = obj.metadata or {}
local spec = obj.spec or {}
local status = obj.status

if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: waiting for the operator to delete the cloud scale set (finalizer)"
  return hs
end

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

if status.observedGeneration == nil or (meta.generation ~= nil and status.observedGeneration ~= meta.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(meta.generation)
    .. " (status is for " .. tostring(status.observedGeneration) .. ")"
  return hs
end

local conditions = status.conditions
local stalled = find(conditions, "Stalled")
if has_status(stalled, "True") then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

local rollout = find(conditions, "RolloutProgressing")
local held = has_status(rollout, "False")
  and (rollout.reason == "Paused" or rollout.reason == "OutsideMaintenanceWindow")
if held then
  hs.status = "Suspended"
  hs.message = describe(rollout, "rollout held")
  return hs
end
if spec.paused == true then
  hs.status = "Suspended"
  hs.message = "Paused: spec.paused is true (no rollout is in progress)"
  return hs
end

local ready = find(conditions, "Ready")
if has_status(ready, "Unknown") then
  hs.status = "Unknown"
  hs.message = describe(ready, "the operator cannot observe the scale set") .. " (" .. counts(status) .. " when last observed)"
  return hs
end

local reconciling = find(conditions, "Reconciling")
if has_status(reconciling, "True") then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

if has_status(ready, "True") then
  hs.status = "Healthy"
  hs.message = counts(status) .. ": " .. describe(ready, "Ready")
  return hs
end

if has_status(ready, "False") then
  hs.status = "Degraded"
  hs.message = counts(status) .. ": " .. describe(ready, "not ready")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "Waiting for the Ready condition")
return hs
