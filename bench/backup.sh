#!/usr/bin/env bash
# Benchmark of the continuity issue (#13), against the release binary, on SQLite:
#   - `mamori backup` and `mamori restore` of a ~1 GB data folder (the database
#     holding 1 MiB evidence files of random bytes, as photos and PDFs are
#     incompressible), each as a ratio to a raw copy measured in the same run:
#     `tar -c | zstd -1 > file` and `zstd -d < file | tar -x` (target >= 0.5);
#   - the dashboard's p99 latency while a backup runs, against its idle p99
#     (target < 2x), with the same wrk load (-t1 -c4) both times.
# The evidence rows are written straight into the database by python3's sqlite3
# (a fixture, outside the audit trail); everything else goes through mamori.
# Each size is measured REPS times (default 3), alternating, and the medians are
# reported; a backup to an age public key is measured beside the passphrase one.
# Usage: [REPS=3] bash bench/backup.sh [MiB of evidence, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
MIB="${1:-1000}"
PASSWORD='correct horse battery staple'
export MAMORI_LOG=warn
export MAMORI_BACKUP_PASSPHRASE='benchmark passphrase, long enough'

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need zstd zstd
cargo build --release -p mamori >/dev/null 2>&1
BIN="$PWD/target/release/mamori"
WORK="$(mktemp -d /tmp/mamori-bench-backup.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }

DATA="$WORK/data"
MAMORI_ADMIN_PASSWORD="$PASSWORD" "$BIN" --data-dir "$DATA" init \
  --name "ベンチ病院" --kind hospital --bed-count 120 --prefecture 東京都 --address 千代田区1-1 \
  --phone 03-0000-0000 --admin-login-id bench --admin-name "計測 太郎" >/dev/null

# The evidence: one register line with $MIB restore tests, each with 1 MiB of evidence.
python3 - "$DATA/mamori.db" "$MIB" <<'PY'
import hashlib, os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1_000_000)
db.execute("INSERT INTO backup_plans (institution_id, own, system, data, method, frequency, generations, offline_copy, location, responsible, created_at, updated_at) VALUES (1, 0, '電子カルテ', 'DB', 'nas', 'daily', 7, 1, 'サーバ室', '事務長', ?, ?)", (now, now))
for n in range(int(sys.argv[2])):
    blob = os.urandom(1 << 20)
    db.execute("INSERT INTO restore_tests (institution_id, plan_id, tested_on, restored, minutes, outcome, performed_by, evidence_name, evidence_type, evidence_sha256, evidence, recorded_by, recorded_at) VALUES (1, 1, '2026-11-01', 'DB', 30, 'success', '事務長', ?, 'image/jpeg', ?, ?, 1, ?)",
               (f"photo-{n}.jpg", hashlib.sha256(blob).hexdigest(), blob, now))
    if n % 100 == 99:
        db.commit()
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
PY
SIZE_MB=$(( $(du -sb "$DATA" | cut -f1) / 1000000 ))
sync

# Each measure is taken REPS times, alternating raw and mamori, and the median
# is reported (the disk's fsync time varies from run to run).
REPS="${REPS:-3}"
need age-keygen age
age-keygen -o "$WORK/identity.txt" 2>/dev/null
RECIPIENT="$(grep -o 'age1[0-9a-z]*' "$WORK/identity.txt")"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
raw_b=(); raw_r=(); ours_b=(); ours_r=(); ours_k=()
for _ in $(seq "$REPS"); do
  # Raw copy: tar | zstd, and back.
  start="$(now_ns)"
  tar -C "$DATA" -cf - . | zstd -1 -q -T1 -o "$WORK/raw.tar.zst"
  sync -f "$WORK/raw.tar.zst"
  raw_b+=($(( $(now_ns) - start )))
  mkdir "$WORK/raw-restored"
  start="$(now_ns)"
  zstd -d -q -c "$WORK/raw.tar.zst" | tar -C "$WORK/raw-restored" -xf -
  sync
  raw_r+=($(( $(now_ns) - start )))
  rm -rf "$WORK/raw-restored" "$WORK/raw.tar.zst"

  # mamori backup with a passphrase (snapshot streamed, tar, age, SHA-256 manifest, fsync).
  rm -rf "$WORK/backups"
  start="$(now_ns)"
  "$BIN" --data-dir "$DATA" backup --to "$WORK/backups" >/dev/null
  ours_b+=($(( $(now_ns) - start )))
  FILE="$(ls "$WORK"/backups/mamori-backup-*.tar.age)"
  start="$(now_ns)"
  "$BIN" --data-dir "$WORK/restored" restore "$FILE" >/dev/null
  ours_r+=($(( $(now_ns) - start )))
  rm -rf "$WORK/restored" "$WORK/backups"

  # The same to an age public key (what an unattended server should use).
  start="$(now_ns)"
  "$BIN" --data-dir "$DATA" backup --to "$WORK/backups" --recipient "$RECIPIENT" >/dev/null
  ours_k+=($(( $(now_ns) - start )))
  rm -rf "$WORK/backups"
done
raw_backup="$(printf '%s\n' "${raw_b[@]}" | median)"
raw_restore="$(printf '%s\n' "${raw_r[@]}" | median)"
mamori_backup="$(printf '%s\n' "${ours_b[@]}" | median)"
mamori_restore="$(printf '%s\n' "${ours_r[@]}" | median)"
mamori_key="$(printf '%s\n' "${ours_k[@]}" | median)"

# The dashboard, idle and during a backup.
port="$(free_port)"
"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$port" --sign-in-attempts-per-minute 0 2>"$WORK/server.log" &
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.01; done
jar="$WORK/cookies"
csrf="$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)"
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "login_id=bench" \
  --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$port/login"
session="$(awk '$6 == "mamori_session" { print $7 }' "$jar")"
[ -n "$session" ] || { echo "sign-in failed" >&2; exit 1; }
curl -fs -H "Cookie: mamori_session=$session" "http://127.0.0.1:$port/dashboard" | grep -q "ベンチ病院"
duration="$(awk -v ns="$mamori_backup" 'BEGIN { d = int(ns / 1e9); if (d < 5) d = 5; print d }')"
dash() { wrk -t1 -c4 -d"${duration}s" --latency -H "Cookie: mamori_session=$session" "http://127.0.0.1:$port/dashboard"; }
idle="$(dash)"
"$BIN" --data-dir "$DATA" backup --to "$WORK/backups-2" >/dev/null &
backup_pid=$!
during="$(dash)"
wait "$backup_pid"
p99() { awk '$1 == "99%" { print $2 }' <<<"$1"; }
rps() { awk '/Requests\/sec/ { print $2 }' <<<"$1"; }
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 } printf "%.2f", v }'; }
idle_p99="$(to_ms "$(p99 "$idle")")"
during_p99="$(to_ms "$(p99 "$during")")"

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d)"
echo "Data folder: ${SIZE_MB} MB (${MIB} evidence files of 1 MiB, random bytes). Medians of ${REPS} runs."
echo
echo "| step | raw (tar + zstd -1) | mamori | throughput raw | throughput mamori | ratio (raw time / mamori time) | target |"
echo "|---|---|---|---|---|---|---|"
row() {
  local name="$1" raw="$2" ours="$3"
  printf '| %s | %s s | %s s | %s MB/s | %s MB/s | **%s** | >= 0.5 |\n' "$name" "$(secs "$raw")" "$(secs "$ours")" \
    "$(awk -v s="$SIZE_MB" -v ns="$raw" 'BEGIN { printf "%.0f", s / (ns / 1e9) }')" \
    "$(awk -v s="$SIZE_MB" -v ns="$ours" 'BEGIN { printf "%.0f", s / (ns / 1e9) }')" \
    "$(awk -v a="$raw" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')"
}
row "backup, passphrase (scrypt 2^18)" "$raw_backup" "$mamori_backup"
row "backup, age public key" "$raw_backup" "$mamori_key"
row "restore, passphrase (with audit verify)" "$raw_restore" "$mamori_restore"
echo
echo "| dashboard (wrk -t1 -c4 -d${duration}s) | req/s | p99 |"
echo "|---|---|---|"
echo "| idle | $(rps "$idle") | ${idle_p99} ms |"
echo "| while \`mamori backup\` runs | $(rps "$during") | ${during_p99} ms |"
echo
echo "p99 during / idle: **$(awk -v a="$during_p99" -v b="$idle_p99" 'BEGIN { printf "%.2f", a / b }')** (target < 2)"
