-- String building: assemble many lines from small pieces in a buffer,
-- then scan each line character by character.
local n = tonumber(arg[1]) or 150000
local total = 0
for i = 1, n do
  local buf = { "item", tostring(i), ":" }
  for k = 1, 5 do
    buf[#buf + 1] = " "
    buf[#buf + 1] = tostring(i * k)
  end
  buf[#buf + 1] = (i % 3 == 0) and ";" or ","
  local line = table.concat(buf)
  local sevens = 0
  for j = 1, #line do
    if line:byte(j) == 55 then sevens = sevens + 1 end
  end
  total = total + #line + sevens
end
print(total)
