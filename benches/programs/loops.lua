-- Integer arithmetic in nested loops.
local n = tonumber(arg[1]) or 5000
local sum = 0
for i = 1, n do
  for j = 1, n do
    sum = (sum + (i * j) % 13 + (i + j) // 7) % 1000000007
  end
end
print(sum)
