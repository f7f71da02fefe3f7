#!/usr/bin/env bash
# The Docker engine and kernel image that `make test` grades the Docker tests against, with no registry.
#   tools/docker_engine.sh start   install (root, apt) and start an engine if none answers, then build the kernel
#                                  image if it is missing; prints why not and exits 0 where it cannot
#   tools/docker_engine.sh stop    stop the engine by its PID, if `start` started it
# The image (KERNEL_IMAGE, default autograder-kernel-test:latest) is a Debian bookworm minbase root file system
# (debootstrap, from Debian's mirror) with Debian's Python 3.11 and ipykernel, numpy and scipy: enough for the
# kernels of the tests' assignments (mini, temperature), imported with `docker import`.
set -uo pipefail
IMAGE=${KERNEL_IMAGE:-autograder-kernel-test:latest}
STATE=${DOCKER_STATE:-/tmp/autograder-dockerd}
PIDFILE=$STATE/dockerd.pid
PYTHON=${PYTHON:-.venv/bin/python}  # a Python 3.11 with pip: it fetches the kernel's wheels

note() { echo "note: $*; the Docker end-to-end tests will be skipped" >&2; exit 0; }

start() {
    mkdir -p "$STATE"
    if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || note "no Docker engine answers and only root can start one here"
        if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
            command -v apt-get >/dev/null || note "no dockerd and no apt-get to install it"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap \
                >/dev/null; } || note "apt-get could not install docker.io"
        fi
        mkdir -p "$STATE"
        dockerd --bridge=none --iptables=false --ip-forward=false --data-root "$STATE/data" \
            --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.own.pid" >"$STATE/dockerd.log" 2>&1 &
        echo $! >"$PIDFILE"
        for _ in $(seq 60); do
            docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
            sleep 1
        done
        docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
            { stop; note "dockerd did not start (see $STATE/dockerd.log)"; }
        echo "started a Docker engine (pid $(cat "$PIDFILE"))"
    fi
    docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    command -v debootstrap >/dev/null || note "debootstrap is not installed, so $IMAGE cannot be built"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    # Debian's own ipykernel does not install by debootstrap (its resolver misses virtual packages): the kernel's
    # packages come from PyPI as wheels, for Debian's Python 3.11, into the image's /usr/local.
    debootstrap --variant=minbase --include=python3,python-is-python3 bookworm "$root" \
        http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1 || note "debootstrap failed (see $STATE/debootstrap.log)"
    "$PYTHON" -m pip install --quiet --only-binary=:all: --target "$root/usr/local/lib/python3.11/dist-packages" \
        ipykernel numpy scipy >"$STATE/pip.log" 2>&1 || note "pip could not get the kernel's packages (see $STATE/pip.log)"
    tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$IMAGE" >/dev/null \
        || note "docker import of $IMAGE failed"
    echo "built $IMAGE"
}

stop() {
    [ -f "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null
    rm -f "$PIDFILE"
    echo "stopped the Docker engine (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
