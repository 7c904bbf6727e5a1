-- wrk script: one request shape, rotating over a list of values.
-- env: METHOD (GET), PATH_UNDER_TEST (may contain {item}), BODY (may contain {item}), CONTENT_TYPE,
--      TOKEN (bearer), ITEMS (file, one value per line), ITEM_HEADER (send the item in this header instead)
local items = {}
local i = 0
local method, path, body, header

function init(args)
  method = os.getenv("METHOD") or "GET"
  path = os.getenv("PATH_UNDER_TEST") or "/bench/bare"
  body = os.getenv("BODY")
  header = os.getenv("ITEM_HEADER")
  if os.getenv("TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
  if os.getenv("CONTENT_TYPE") then wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") end
  if os.getenv("ITEMS") then for line in io.lines(os.getenv("ITEMS")) do items[#items + 1] = line end end
  i = math.random(1, math.max(#items, 1))
end

function request()
  local item = ""
  if #items > 0 then
    i = i % #items + 1
    item = items[i]
  end
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  if header then headers[header] = item end
  local p = path:gsub("{item}", item)
  local b = body and body:gsub("{item}", item) or nil
  return wrk.format(method, p, headers, b)
end
