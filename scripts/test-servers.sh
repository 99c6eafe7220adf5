#!/usr/bin/env bash
# Installs the real servers the data tests drive (PostgreSQL + pgbench, PgBouncer, Redis, and openssl for
# the test certificates; Prometheus with promtool and redis_exporter for the alert tests) from Debian's packages when they are missing. Idempotent: with everything present
# it only checks and exits. The tests start their own throwaway instances on loopback
# (test/realServers.*.test.ts, test/realServersHarness.ts); nothing here
# starts a service. Run by `npm test` (the `pretest` script), so `.ci/run` works on a fresh machine.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
{ [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ]; } || missing+=(postgresql)
have pgbench || [ -x "$(pg_bindir)/pgbench" ] || missing+=(postgresql-contrib)
have pgbouncer || missing+=(pgbouncer)
have redis-server || missing+=(redis-server)
have redis-cli || missing+=(redis-tools)
have openssl || missing+=(openssl)
have prometheus && have promtool || missing+=(prometheus)
have prometheus-redis-exporter || missing+=(prometheus-redis-exporter)

if [ ${#missing[@]} -eq 0 ]; then
    echo "test-servers: postgresql ($(pg_bindir)), pgbouncer, redis-server, prometheus, prometheus-redis-exporter present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then SUDO=sudo; else
        echo "test-servers: missing ${missing[*]}; run this script as root (or with passwordless sudo) to install them" >&2
        exit 1
    fi
else
    SUDO=
fi

echo "test-servers: installing ${missing[*]} from Debian packages"
export DEBIAN_FRONTEND=noninteractive
# Packaged services must not start: the tests run their own instances on free loopback ports.
$SUDO apt-get update -qq
RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib pgbouncer redis-server redis-tools openssl prometheus prometheus-redis-exporter >/dev/null
# Debian's packages may have started services (outside containers); stop them: tests bring their own.
for svc in pgbouncer redis-server prometheus prometheus-redis-exporter; do
    if have systemctl && systemctl is-active --quiet "$svc" 2>/dev/null; then $SUDO systemctl stop "$svc" || true; fi
done
echo "test-servers: installed; postgresql ($(pg_bindir)), $(pgbouncer --version | head -n 1), $(redis-server --version | cut -d' ' -f1-3)"
