-- Dictionaries with string keys: count into a table keyed by made-up
-- names, then look names up, some present and some absent.
local n = tonumber(arg[1]) or 400000
local m = n // 10
local counts = {}
for i = 1, n do
  local key = "key" .. (i * 7919 % m)
  counts[key] = (counts[key] or 0) + i % 100
end
local sum = 0
local found = 0
for i = 1, n do
  local v = counts["key" .. (i * 31 % (2 * m))]
  if v then
    found = found + 1
    sum = (sum + v) % 1000000007
  end
end
local size = 0
for _ in pairs(counts) do size = size + 1 end
print(size + found + sum)
