// A session record is one string of lines, name and value in turn, the meta field `m` first: a read is one GET and
// one reply, like any string. Names and values never contain a line feed (values are JSON texts; the session
// refuses such keys), and a UTF-8 sequence never holds the byte 0x0A, so the lines split back exactly.
//
// The fields of a record while a script changes it, in their order: `put` sets one, `decode` reads a stored record
// (false when it is malformed), `apply` takes the script's field pairs from ARGV[first] on, then the names to delete,
// `get` reads one (nil when absent or deleted), `encode` gives the live fields back as stored lines, in their order.
// Shared by the session, user-record and commerce scripts, so that all of them read and write the one layout.
export const RECORD_FIELDS = `local names, values, at = {}, {}, {}
local function put(name, value)
  local i = at[name]
  if not i then
    i = #names + 1
    names[i] = name
    at[name] = i
  end
  values[i] = value
end
local function decode(record)
  local pos, len = 1, #record
  while pos <= len do
    local a = string.find(record, '\\n', pos, true)
    if not a then return false end
    local b = string.find(record, '\\n', a + 1, true) or (len + 1)
    put(string.sub(record, pos, a - 1), string.sub(record, a + 1, b - 1))
    pos = b + 1
  end
  return true
end
local function apply(first, npairs)
  for i = first, first + 2 * npairs - 1, 2 do put(ARGV[i], ARGV[i + 1]) end
  for i = first + 2 * npairs, #ARGV do
    if at[ARGV[i]] then values[at[ARGV[i]]] = false end
  end
end
local function get(name)
  local i = at[name]
  if i and values[i] then return values[i] end
  return nil
end
local function encode()
  local out = {}
  for i = 1, #names do
    if values[i] then
      out[#out + 1] = names[i]
      out[#out + 1] = values[i]
    end
  end
  return table.concat(out, '\\n')
end
`
