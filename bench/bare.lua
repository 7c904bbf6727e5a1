-- wrk script: the bare baseline route, or GET subscription (with PATH and TOKEN).
function init(args)
  if os.getenv("TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
end
function request()
  return wrk.format("GET", os.getenv("PATH_UNDER_TEST") or "/bench/bare")
end
