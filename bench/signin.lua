-- wrk script: POST /login with a pre-session CSRF cookie and token (double submit).
-- Usage: wrk -s bench/signin.lua … http://127.0.0.1:PORT/login  (env LOGIN_ID, PASSWORD)
local token = string.rep("b", 43)
local login_id = os.getenv("LOGIN_ID") or "bench"
local password = os.getenv("PASSWORD") or "correct horse battery staple"
local function encode(text)
  return (text:gsub("[^%w%-_%.]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "mamori_csrf=" .. token
wrk.body = "csrf=" .. token .. "&login_id=" .. encode(login_id) .. "&password=" .. encode(password)
