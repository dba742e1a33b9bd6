# shellcheck shell=bash
# Shared settings and helpers for deploy/local/kafka-*.sh. Sourced, not run.

KAFKA_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${KAFKA_LOCAL_DIR}/../.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-${HOME}/.cache/vgpu-twin/kafka-${KAFKA_VERSION}}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-${REPO_ROOT}/.kafka-data}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
export KAFKA_VERSION KAFKA_CACHE_DIR

KAFKA_LIBS_DIR="${KAFKA_CACHE_DIR}/libs"
KAFKA_PID_FILE="${KAFKA_DATA_DIR}/kafka.pid"
KAFKA_CONFIG="${KAFKA_DATA_DIR}/server.properties"
KAFKA_LOG4J_CONFIG="${KAFKA_DATA_DIR}/log4j.properties"
KAFKA_LOG_DIR="${KAFKA_DATA_DIR}/logs"       # broker's own logs (server.log, stdout.log)
KAFKA_KRAFT_DIR="${KAFKA_DATA_DIR}/kraft"    # log.dirs: topic partitions + __cluster_metadata
KAFKA_STATE_FILE="${KAFKA_DATA_DIR}/running.env"  # what the running broker was started with

_kafka_tag() { printf '[%s] ' "$(basename "$0" .sh)"; }
log() { printf '%s%s\n' "$(_kafka_tag)" "$*" >&2; }
die() { printf '%sERROR: %s\n' "$(_kafka_tag)" "$*" >&2; exit 1; }

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# who_listens PORT: best-effort description of the process listening on PORT.
who_listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1
  fi
}

# kafka_pid: prints the pid of OUR running broker (pid file + live process whose command
# line is kafka.Kafka with our config) and returns 0; returns 1 otherwise.
kafka_pid() {
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' < "$KAFKA_PID_FILE")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmd
    cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline")"
    [[ "$cmd" == *kafka.Kafka*"$KAFKA_CONFIG"* ]] || return 1
  fi
  printf '%s\n' "$pid"
}

# lock_file PATH: serialize concurrent runs (e.g. parallel CI targets all calling kafka-up.sh)
# by holding an exclusive flock on PATH for the rest of the script. No-op without flock(1).
lock_file() {
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if ! flock -n 9; then
    log "waiting for another $(basename "$0") (lock $1) ..."
    flock 9
  fi
}
