-- String building: assemble a long text from many small pieces in a
-- buffer, then scan it character by character.
local n = tonumber(arg[1]) or 200000
local total = 0
for round = 1, 5 do
  local buf = {}
  for i = 1, n do
    buf[#buf + 1] = "item"
    buf[#buf + 1] = tostring(i * round)
    buf[#buf + 1] = (i % 3 == 0) and "; " or ", "
  end
  local s = table.concat(buf)
  local sevens = 0
  for k = 1, #s do
    if s:byte(k) == 55 then sevens = sevens + 1 end
  end
  total = total + #s + sevens
end
print(total)
