-- Argo CD health check for scaleset.dev/ScaleSetOperation (argocd-cm key
-- resource.customizations.health.scaleset.dev_ScaleSetOperation). Plain Lua 5.1 using only what Argo
-- CD gives checks from argocd-cm: the base and table libraries (no string, no math, no os).
--
-- A ScaleSetOperation is a one-shot request; its status.phase is Pending, Running, Succeeded or
-- Failed:
--   no status / Pending / Running -> Progressing
--   Succeeded                     -> Healthy
--   Failed                        -> Degraded
-- The message is the phase, the action and the operator's own message.
local hs = {}

local spec = obj.spec or {}
local status = obj.status or {}
local phase = status.phase

local function describe(prefix)
  local text = prefix
  if spec.action ~= nil then
    text = text .. " (" .. spec.action
    if spec.scaleSetName ~= nil then
      text = text .. " on " .. spec.scaleSetName
    end
    text = text .. ")"
  end
  if status.message ~= nil and status.message ~= "" then
    text = text .. ": " .. status.message
  end
  return text
end

if phase == nil or phase == "Pending" then
  hs.status = "Progressing"
  hs.message = describe("Pending")
elseif phase == "Running" then
  hs.status = "Progressing"
  hs.message = describe("Running")
elseif phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = describe("Succeeded")
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = describe("Failed")
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. tostring(phase)
end
return hs
