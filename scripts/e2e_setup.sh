#!/bin/sh
# `make test-e2e`'s setup: the e2e extra in the venv, and Debian's PostgreSQL and Redis on the machine.
set -eu
VENV_PYTHON=${1:-.venv/bin/python}
UV=${2:-.venv/bin/uv}

"$UV" pip install --quiet --python "$VENV_PYTHON" -e '.[test,e2e]'

missing=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "e2e setup: installing Debian packages:$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    else
        echo "e2e setup: missing Debian packages:$missing" >&2
        echo "install them first, e.g.: sudo apt-get install -y$missing" >&2
        exit 1
    fi
fi
# initdb and postgres refuse to run as root; the suite runs them as Debian's postgres user then.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "e2e setup: running as root needs the 'postgres' user (Debian's postgresql package creates it)" >&2
    exit 1
fi
