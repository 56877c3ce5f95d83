#!/usr/bin/env bash
# Benchmark of the foundation issue, against the release binary:
#   - dashboard requests per second and p50/p99 latency, 50 concurrent clients (wrk);
#   - cold start: process start until /healthz answers;
#   - idle memory: resident set size after start-up and sign-in.
# On SQLite always, and on PostgreSQL when BENCH_POSTGRES_URL (a server URL such as
# postgres://postgres@127.0.0.1:5432) is set. Prints a Markdown table for BENCHMARKS.md.
# Usage: bash bench/dashboard.sh [seconds per run, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
PASSWORD='correct horse battery staple'
export MAMORI_LOG=warn

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p mamori >/dev/null 2>&1
BIN="$PWD/target/release/mamori"
WORK="$(mktemp -d /tmp/mamori-bench.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }

run_backend() {
  local name="$1" url="$2" data="$WORK/$1"
  mkdir -p "$data"
  local db_args=()
  [ -n "$url" ] && db_args=(--database-url "$url")
  MAMORI_ADMIN_PASSWORD="$PASSWORD" "$BIN" --data-dir "$data" "${db_args[@]}" init \
    --name "ベンチ病院" --kind hospital --bed-count 120 --prefecture 東京都 --address 千代田区1-1 \
    --phone 03-0000-0000 --admin-login-id bench --admin-name "計測 太郎" >/dev/null
  local port; port="$(free_port)"
  local start; start="$(now_ns)"
  "$BIN" --data-dir "$data" "${db_args[@]}" serve --listen "127.0.0.1:$port" --sign-in-attempts-per-minute 0 \
    2>"$data/server.log" &
  local pid=$!
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.002; done
  local cold_ms=$(( ($(now_ns) - start) / 1000000 ))

  # Sign in as a browser would: the form's CSRF token, then the session cookie.
  local jar="$data/cookies"
  local csrf
  csrf="$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)"
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "login_id=bench" \
    --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$port/login"
  local session; session="$(awk '$6 == "mamori_session" { print $7 }' "$jar")"
  [ -n "$session" ] || { echo "sign-in failed for $name" >&2; exit 1; }
  curl -fs -H "Cookie: mamori_session=$session" "http://127.0.0.1:$port/dashboard" | grep -q "ベンチ病院"
  sleep 1
  local rss_kb; rss_kb="$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")"

  local out; out="$(wrk -t2 -c50 -d"${DURATION}s" --latency -H "Cookie: mamori_session=$session" "http://127.0.0.1:$port/dashboard")"
  local rps p50 p99 non2xx
  rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ { print $5 }' <<<"$out")"
  # Sign-in: Argon2id dominates; 2 connections, one per core.
  local signin signin_rps signin_p50
  signin="$(LOGIN_ID=bench PASSWORD="$PASSWORD" wrk -t2 -c2 -d10s --latency -s bench/signin.lua "http://127.0.0.1:$port/login")"
  signin_rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$signin")"
  signin_p50="$(awk '$1 == "50%" { print $2 }' <<<"$signin")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '| %s | %s | %s | %s | %s ms | %s MB | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$cold_ms" \
    "$((rss_kb / 1024))" "${non2xx:-0}" "$signin_rps" "$signin_p50"
}

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d)"
echo "wrk -t2 -c50 -d${DURATION}s on GET /dashboard (signed in); server and load generator share the machine."
echo
echo "| backend | dashboard req/s | p50 | p99 | cold start | idle RSS | non-2xx | sign-ins/s | sign-in p50 |"
echo "|---|---|---|---|---|---|---|---|---|"
run_backend sqlite ""
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  db="mamori_bench_$$"
  psql "${BENCH_POSTGRES_URL}/postgres" -qc "CREATE DATABASE $db" >/dev/null
  run_backend postgres "${BENCH_POSTGRES_URL}/$db"
  psql "${BENCH_POSTGRES_URL}/postgres" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi
