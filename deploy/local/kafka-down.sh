#!/usr/bin/env bash
# Stop the local Kafka started by kafka-up.sh: SIGTERM (clean shutdown, flushes logs),
# wait up to KAFKA_STOP_TIMEOUT (30) s, then SIGKILL. KAFKA_WIPE=1 also deletes KAFKA_DATA_DIR.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka-common.sh"

[[ -d "$KAFKA_DATA_DIR" ]] && lock_file "${KAFKA_DATA_DIR}/.scripts.lock"
if pid="$(kafka_pid)"; then
  log "stopping Kafka (pid ${pid}) ..."
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  log "stopped"
else
  log "Kafka is not running${KAFKA_DATA_DIR:+ (data dir ${KAFKA_DATA_DIR})}"
fi
rm -f "$KAFKA_PID_FILE" "$KAFKA_STATE_FILE"

if [[ "${KAFKA_WIPE:-0}" == "1" ]]; then
  if [[ -d "$KAFKA_DATA_DIR" ]]; then
    # Refuse to delete something that does not look like our data dir.
    if [[ -f "${KAFKA_DATA_DIR}/server.properties" || -d "${KAFKA_DATA_DIR}/kraft" ]]; then
      rm -rf -- "$KAFKA_DATA_DIR"
      log "wiped ${KAFKA_DATA_DIR}"
    else
      die "KAFKA_WIPE=1 but ${KAFKA_DATA_DIR} does not look like a kafka-up.sh data dir; not deleting it"
    fi
  fi
fi
