#!/usr/bin/env bash
# Installs whatever FastTrading needs and this machine lacks: Debian packages (Java for Kafka, Maven to
# fetch its jars, PostgreSQL 15 with pg_partman, Redis), uv, and the locked Python environment.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pg_partman.control ] || missing+=(postgresql-15-partman)
command -v redis-server >/dev/null || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# uv comes from PyPI; `python3 -m uv` finds it whether or not pip put it on PATH.
if ! command -v uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "setup: installing uv"
  python3 -m pip install --quiet uv
fi
uv=$(command -v uv || echo "python3 -m uv")
$uv sync --frozen --quiet
