-- Closure-heavy collection pipelines: map, filter, reduce, detect, count
-- and a sort with a comparison function, over fresh arrays.
local function map(t, f)
  local r = {}
  for i = 1, #t do r[i] = f(t[i]) end
  return r
end

local function filter(t, p)
  local r = {}
  for i = 1, #t do
    if p(t[i]) then r[#r + 1] = t[i] end
  end
  return r
end

local function reduce(t, acc, f)
  for i = 1, #t do acc = f(acc, t[i]) end
  return acc
end

local function detect(t, p, default)
  for i = 1, #t do
    if p(t[i]) then return t[i] end
  end
  return default
end

local function count(t, p)
  local c = 0
  for i = 1, #t do
    if p(t[i]) then c = c + 1 end
  end
  return c
end

local n = tonumber(arg[1]) or 2000
local total = 0
for round = 1, n do
  local xs = {}
  for i = 1, 1000 do xs[i] = i * (round % 1008 + 1) % 1009 end
  local squares = map(xs, function(x) return x * x end)
  local odd = filter(squares, function(x) return x % 2 == 1 end)
  local sum = reduce(odd, 0, function(a, b) return a + b end)
  local big = detect(xs, function(x) return x > 1000 end, 0)
  local sevens = count(xs, function(x) return x % 100 == 7 end)
  table.sort(odd, function(a, b) return a > b end)
  total = (total + sum + big + sevens + odd[1] + #odd) % 1000000007
end
print(total)
