-- Allocation-heavy binary trees: build, check and drop trees of many depths.
local function make(depth)
  if depth == 0 then return { false, false } end
  return { make(depth - 1), make(depth - 1) }
end

local function check(node)
  if not node[1] then return 1 end
  return 1 + check(node[1]) + check(node[2])
end

local maxDepth = tonumber(arg[1]) or 14
local minDepth = 4
if maxDepth < minDepth + 2 then maxDepth = minDepth + 2 end
local total = 0

total = total + check(make(maxDepth + 1))
local longLived = make(maxDepth)
for depth = minDepth, maxDepth, 2 do
  local iterations = 1 << (maxDepth - depth + minDepth)
  local sum = 0
  for _ = 1, iterations do
    sum = sum + check(make(depth))
  end
  print(iterations .. " trees of depth " .. depth .. " check: " .. sum)
  total = total + sum
end
total = total + check(longLived)
print(total)
