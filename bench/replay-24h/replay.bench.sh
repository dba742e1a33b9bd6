#!/usr/bin/env bash
# Times `vgpu-twin replay` end to end (start, read, decode, merge, fold, report written) over the
# window(s) a log made by bench/replay-24h/generate.ts holds, with /usr/bin/time for CPU and peak RSS.
#
#   node tools/build.mjs   # or the private build below, which leaves dist/ alone
#   VGPU_TWIN_DATA_DIR=/tmp/replay-24h RUNS=3 HOURS_LIST="1 6" bash bench/replay-24h/replay.bench.sh
#
# Env: the log's own (EVENT_LOG, VGPU_TWIN_DATA_DIR, KAFKA_BROKERS, VGPU_TWIN_STREAM_PREFIX), RUNS (3),
# HOURS_LIST (windows from 2026-01-01T00:00:00Z, hours), WORKERS_LIST (`--workers` values, each
# its own run, e.g. "0 2": one thread against read workers; default: the CLI's default), CLI
# (dist/apps/cli/src/main.js), NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/replay-prof").
# One line per run on stdout: hours, workers, run, wall s, events, events/s, user+sys CPU s (all
# threads), peak RSS MB, load average.
set -euo pipefail
CLI="${CLI:-dist/apps/cli/src/main.js}"
RUNS="${RUNS:-3}"
HOURS_LIST="${HOURS_LIST:-1}"
OUT="$(mktemp -d /tmp/replay-report-XXXXXX)"
echo "# $(node -p 'os.cpus()[0].model + ", " + os.cpus().length + " cores, node " + process.version') log=${EVENT_LOG:-embedded} data=${VGPU_TWIN_DATA_DIR:-}"
echo "# hours workers run wall_s events events_per_s cpu_s peak_rss_mb loadavg1"
for run in $(seq 1 "$RUNS"); do
  for h in $HOURS_LIST; do
  for w in ${WORKERS_LIST:-default}; do
    workers=()
    [ "$w" = default ] || workers=(--workers "$w")
    to="$(node -e "console.log(new Date(Date.UTC(2026,0,1) + $h * 3600e3).toISOString())")"
    start=$(date +%s.%N)
    /usr/bin/time -f '%U %S %M' -o "$OUT/time" \
      node ${NODE_ARGS:-} "$CLI" replay --from 2026-01-01T00:00:00Z --to "$to" --out "$OUT/r$h" "${workers[@]}" \
      >"$OUT/stdout" 2>"$OUT/stderr"
    end=$(date +%s.%N)
    events=$(node -e "const j = JSON.parse(require('fs').readFileSync('$OUT/stdout','utf8').trim().split('\n').pop()); const e = j.events; console.log(typeof e === 'number' ? e : e.beforeWindow + e.inWindow)")
    read -r u s m <"$OUT/time"
    node -e "
      const wall = $end - $start, ev = $events;
      console.log([$h, '$w', $run, wall.toFixed(1), ev, Math.round(ev / wall), ($u + $s).toFixed(1), Math.round($m / 1024), require('os').loadavg()[0].toFixed(2)].join(' '));
    "
  done
  done
done
tail -c 600 "$OUT/stderr" | tr '\r' '\n' | tail -3 >&2
rm -rf "$OUT"
