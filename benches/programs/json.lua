-- A JSON parser in the style of the classic cross-language suites: make a
-- document of many records, parse it several times into tables, and walk
-- the result for a checksum.
local byte, sub, concat = string.byte, string.sub, table.concat
local NULL = {}

local function makeDocument(n)
  local buf = { "[" }
  for i = 1, n do
    if i > 1 then buf[#buf + 1] = ",\n  " end
    buf[#buf + 1] = '{"id": ' .. i
    buf[#buf + 1] = ', "name": "item \\"' .. i .. '\\"\\n"'
    buf[#buf + 1] = ', "tags": ["red", "green", "blue"]'
    buf[#buf + 1] = ', "value": ' .. (i * 37 % 1000 - 500)
    buf[#buf + 1] = ', "active": ' .. (i % 2 == 0 and "true" or "false")
    buf[#buf + 1] = ', "extra": null'
    buf[#buf + 1] = ', "nested": {"depth": [' .. (i % 5) .. ', ' .. (i % 7) .. ', []], "empty": {}}}'
  end
  buf[#buf + 1] = "]"
  return concat(buf)
end

local Parser = {}
Parser.__index = Parser

function Parser.new(text)
  return setmetatable({ text = text, pos = 1 }, Parser)
end

function Parser:skipWhitespace()
  local text, pos = self.text, self.pos
  local c = byte(text, pos)
  while c == 32 or c == 10 or c == 13 or c == 9 do
    pos = pos + 1
    c = byte(text, pos)
  end
  self.pos = pos
end

function Parser:expect(c)
  self:skipWhitespace()
  if byte(self.text, self.pos) ~= c then error("expected " .. string.char(c) .. " at " .. self.pos) end
  self.pos = self.pos + 1
end

function Parser:value()
  self:skipWhitespace()
  local c = byte(self.text, self.pos)
  if c == 123 then return self:object()
  elseif c == 91 then return self:array()
  elseif c == 34 then return self:string()
  elseif c == 116 then self.pos = self.pos + 4; return true
  elseif c == 102 then self.pos = self.pos + 5; return false
  elseif c == 110 then self.pos = self.pos + 4; return NULL
  else return self:number() end
end

function Parser:object()
  local result = {}
  self:expect(123)
  self:skipWhitespace()
  if byte(self.text, self.pos) == 125 then
    self.pos = self.pos + 1
    return result
  end
  while true do
    self:skipWhitespace()
    local key = self:string()
    self:expect(58)
    result[key] = self:value()
    self:skipWhitespace()
    local c = byte(self.text, self.pos)
    self.pos = self.pos + 1
    if c == 125 then return result end
    if c ~= 44 then error("expected , or } at " .. self.pos) end
  end
end

function Parser:array()
  local result = {}
  self:expect(91)
  self:skipWhitespace()
  if byte(self.text, self.pos) == 93 then
    self.pos = self.pos + 1
    return result
  end
  while true do
    result[#result + 1] = self:value()
    self:skipWhitespace()
    local c = byte(self.text, self.pos)
    self.pos = self.pos + 1
    if c == 93 then return result end
    if c ~= 44 then error("expected , or ] at " .. self.pos) end
  end
end

function Parser:string()
  local text = self.text
  local pos = self.pos + 1
  local parts = {}
  while true do
    local c = byte(text, pos)
    if c == 34 then
      self.pos = pos + 1
      return concat(parts)
    elseif c == 92 then
      local e = byte(text, pos + 1)
      if e == 110 then parts[#parts + 1] = "\n"
      elseif e == 116 then parts[#parts + 1] = "\t"
      else parts[#parts + 1] = string.char(e) end
      pos = pos + 2
    else
      local start = pos
      while c ~= 34 and c ~= 92 do
        pos = pos + 1
        c = byte(text, pos)
      end
      parts[#parts + 1] = sub(text, start, pos - 1)
    end
  end
end

function Parser:number()
  local text, pos = self.text, self.pos
  local negative = byte(text, pos) == 45
  if negative then pos = pos + 1 end
  local value = 0
  local c = byte(text, pos)
  while c and c >= 48 and c <= 57 do
    value = value * 10 + (c - 48)
    pos = pos + 1
    c = byte(text, pos)
  end
  self.pos = pos
  if negative then return -value end
  return value
end

local function checksum(v)
  local t = type(v)
  if t == "number" then return v
  elseif t == "string" then return #v
  elseif v == true then return 1
  elseif v == false or v == NULL then return 0
  end
  local sum = 0
  for key, each in pairs(v) do
    if type(key) == "string" then sum = sum + #key end
    sum = sum + checksum(each)
  end
  return sum
end

local n = tonumber(arg[1]) or 300
local text = makeDocument(100)
local total = 0
for _ = 1, n do
  total = total + checksum(Parser.new(text):value())
end
print(total)
