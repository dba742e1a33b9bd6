#!/usr/bin/env bash
# Print the state of the local Kafka started by kafka-up.sh.
# Exit status: 0 running, 3 stopped.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka-common.sh"

# Report what the running broker was started with, not the current env defaults.
if [[ -f "$KAFKA_STATE_FILE" ]]; then
  while IFS='=' read -r k v; do
    case "$k" in
      KAFKA_VERSION) KAFKA_VERSION="$v" ;;
      KAFKA_HOST) KAFKA_HOST="$v" ;;
      KAFKA_PORT) KAFKA_PORT="$v" ;;
      KAFKA_CONTROLLER_PORT) KAFKA_CONTROLLER_PORT="$v" ;;
    esac
  done < "$KAFKA_STATE_FILE"
fi

if pid="$(kafka_pid)"; then
  state="running"
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || state="running (not accepting connections on ${KAFKA_PORT} yet)"
  rc=0
else
  state="stopped"; pid="-"; rc=3
fi
cached="no"; [[ -f "${KAFKA_CACHE_DIR}/.complete" ]] && cached="yes (${KAFKA_LIBS_DIR})"
printf 'kafka:      %s\n' "$state"
printf 'pid:        %s\n' "$pid"
printf 'bootstrap:  %s:%s (controller %s)\n' "$KAFKA_HOST" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
printf 'version:    %s\n' "$KAFKA_VERSION"
printf 'data dir:   %s\n' "$KAFKA_DATA_DIR"
printf 'logs:       %s\n' "${KAFKA_LOG_DIR}/server.log"
printf 'cached:     %s\n' "$cached"
exit "$rc"
