-- Exceptions and non-local returns in loops: a division that fails now
-- and then, an error raised a few calls deep and caught, clean-up code
-- that always runs, and a search that returns from inside its loop.
local Overdrawn = {}
Overdrawn.__index = Overdrawn

local function withdraw(balance, amount)
  if amount > balance then error(setmetatable({ shortfall = amount - balance }, Overdrawn)) end
  return balance - amount
end

local function transfer(balance, amount)
  return withdraw(balance, amount) + 1
end

local function indexOf(items, x)
  for i, each in ipairs(items) do
    if each == x then return i end
  end
  return 0
end

local n = tonumber(arg[1]) or 600000
local items = {}
for i = 1, 50 do items[i] = i * 3 % 50 end
local total, cleanups = 0, 0
for i = 1, n do
  local ok, v = pcall(function() return 1000 // (i % 7) end)
  total = total + (ok and v or 1)
  ok, v = pcall(transfer, 100, i % 150)
  if ok then
    total = total + v
  elseif getmetatable(v) == Overdrawn then
    total = total + v.shortfall
  else
    error(v)
  end
  ok, v = pcall(function() return indexOf(items, i % 60) end)
  cleanups = cleanups + 1
  total = total + v
end
print(total + cleanups)
