-- Indexed access: the sieve of Eratosthenes, run several times.
local function sieve(n)
  local flags = {}
  for i = 1, n do flags[i] = true end
  local count = 0
  for i = 2, n do
    if flags[i] then
      count = count + 1
      for k = i * i, n, i do flags[k] = false end
    end
  end
  return count
end

local n = tonumber(arg[1]) or 2000000
local total = 0
for _ = 1, 5 do total = total + sieve(n) end
print(total)
