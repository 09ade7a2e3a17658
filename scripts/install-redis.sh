#!/bin/sh
# Installs Debian's redis-server when it is not on PATH (the Celery deployment test starts its own
# Redis on loopback). As root it calls apt-get directly, otherwise through sudo; without either it
# stops with a message saying what to install.
set -eu

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "redis-server is not installed and this user can neither run apt-get nor sudo." >&2
    echo "Install Debian's package redis-server (apt-get install redis-server), then run 'make celery' again." >&2
    exit 1
fi

echo "Installing Debian's redis-server for the Celery deployment test"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system-wide Redis on port 6379 where an init system runs; the test starts its
# own on a free port and does not use it.
command -v redis-server >/dev/null 2>&1 || { echo "redis-server still not on PATH after apt-get install" >&2; exit 1; }
