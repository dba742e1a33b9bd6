#!/usr/bin/env bash
# Fetch the Apache Kafka broker (org.apache.kafka:kafka_2.13) and all its runtime
# dependencies from Maven Central with `mvn`, into a cache folder outside git.
#
#   deploy/local/kafka-fetch.sh            # fetch (no-op when already cached)
#   KAFKA_FETCH_FORCE=1 deploy/local/...   # re-fetch
#
# Env:
#   KAFKA_VERSION        broker version (default 3.9.2; see README for why 3.9.x)
#   KAFKA_CACHE_DIR      cache folder (default $HOME/.cache/vgpu-twin/kafka-$KAFKA_VERSION)
#   KAFKA_MVN_REPO_LOCAL Maven local repository to use (default: Maven's own, ~/.m2/repository)
#   KAFKA_FETCH_FORCE    1 = fetch again even if cached
#
# Prints nothing on a cache hit unless KAFKA_FETCH_VERBOSE=1; the jars end up in
# "$KAFKA_CACHE_DIR/libs" and the marker "$KAFKA_CACHE_DIR/.complete" lists them.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
SCALA_BINARY="2.13"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-${HOME}/.cache/vgpu-twin/kafka-${KAFKA_VERSION}}"
LIBS_DIR="${KAFKA_CACHE_DIR}/libs"
MARKER="${KAFKA_CACHE_DIR}/.complete"
# Logging binding: Kafka 3.9 logs through slf4j 1.7 + reload4j (log4j 1.x API), exactly
# as its binary distribution does (libs/slf4j-reload4j-*.jar, libs/reload4j-*.jar).
SLF4J_VERSION="1.7.36"
RELOAD4J_VERSION="1.2.25"
DEP_PLUGIN_VERSION="3.8.1"

log() { printf '[kafka-fetch] %s\n' "$*" >&2; }
die() { printf '[kafka-fetch] ERROR: %s\n' "$*" >&2; exit 1; }

# Fast path: cached and complete (all jars listed in the marker exist).
if [[ "${KAFKA_FETCH_FORCE:-0}" != "1" && -f "$MARKER" ]]; then
  ok=1
  while IFS= read -r jar; do
    [[ -z "$jar" ]] && continue
    [[ -f "${LIBS_DIR}/${jar}" ]] || { ok=0; break; }
  done < "$MARKER"
  if [[ $ok == 1 ]]; then
    [[ "${KAFKA_FETCH_VERBOSE:-0}" == "1" ]] && log "Kafka ${KAFKA_VERSION} already cached in ${LIBS_DIR}"
    exit 0
  fi
  log "cache in ${KAFKA_CACHE_DIR} is incomplete; fetching again"
fi

command -v java >/dev/null 2>&1 || die "java not found on PATH (Kafka ${KAFKA_VERSION} needs Java 11+; Java 17 recommended). On Debian: apt-get install openjdk-17-jre-headless"
command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (needed once, to fetch Kafka from Maven Central). On Debian: apt-get install maven"

mkdir -p "$KAFKA_CACHE_DIR"
exec 9>"${KAFKA_CACHE_DIR}/.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  log "waiting for another kafka-fetch.sh on ${KAFKA_CACHE_DIR} ..."
  flock 9
  # The other run has probably fetched everything; re-check the cache.
  if [[ "${KAFKA_FETCH_FORCE:-0}" != "1" && -f "$MARKER" ]]; then exec "$0" "$@"; fi
fi
BUILD_DIR="$(mktemp -d "${KAFKA_CACHE_DIR}/.fetch.XXXXXX")"
trap 'rm -rf "$BUILD_DIR"' EXIT

cat > "${BUILD_DIR}/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.vgpu-twin</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_BINARY}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>ch.qos.reload4j</groupId>
      <artifactId>reload4j</artifactId>
      <version>${RELOAD4J_VERSION}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEP_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
POM

mvn_args=(-B -q -f "${BUILD_DIR}/pom.xml")
[[ -n "${KAFKA_MVN_REPO_LOCAL:-}" ]] && mvn_args+=("-Dmaven.repo.local=${KAFKA_MVN_REPO_LOCAL}")

log "fetching org.apache.kafka:kafka_${SCALA_BINARY}:${KAFKA_VERSION} and its runtime dependencies from Maven Central ..."
start=$SECONDS
if ! mvn "${mvn_args[@]}" \
    "org.apache.maven.plugins:maven-dependency-plugin:${DEP_PLUGIN_VERSION}:copy-dependencies" \
    -DincludeScope=runtime \
    -DoutputDirectory="${BUILD_DIR}/libs" >"${BUILD_DIR}/mvn.log" 2>&1; then
  cat "${BUILD_DIR}/mvn.log" >&2
  die "mvn could not fetch Kafka ${KAFKA_VERSION} (see output above; is Maven Central reachable?)"
fi

ls "${BUILD_DIR}/libs" | grep -q "^kafka_${SCALA_BINARY}-${KAFKA_VERSION}\.jar$" \
  || die "kafka_${SCALA_BINARY}-${KAFKA_VERSION}.jar missing after mvn run"

# Swap in atomically-ish, then write the marker last.
rm -rf "${LIBS_DIR}" "$MARKER"
mv "${BUILD_DIR}/libs" "${LIBS_DIR}"
(cd "${LIBS_DIR}" && ls -1 *.jar) > "${MARKER}.tmp"
mv "${MARKER}.tmp" "$MARKER"
log "done in $((SECONDS - start)) s: $(wc -l < "$MARKER") jars in ${LIBS_DIR}"
