#!/usr/bin/env bash
# The Docker engine and images that `make test-docker` grades the Docker tests against, with no registry.
#   tools/docker_engine.sh start   install (root, apt) and start an engine if none answers, then build the two
#                                  images if they are missing; prints why not and exits 0 where it cannot
#   tools/docker_engine.sh stop    stop the engine by its PID, if `start` started it
# Both images start from one Debian bookworm minbase root file system with Debian's Python 3.11 (debootstrap, from
# Debian's mirror, built once into $STATE/rootfs):
# - KERNEL_IMAGE (default autograder-kernel-test:latest): that root with ipykernel, numpy and scipy, enough for the
#   kernels of the small assignments (mini, temperature), imported with `docker import`;
# - GRADER_IMAGE (default autograder-grader:ci): grader.Dockerfile itself, built unchanged with
#   `--build-arg BASE=autograder-base-local:HASH`, a base made as an offline site would make one: the root with
#   the packages of this machine's venv (the same TensorFlow, Keras and scikit-learn the tests grade with) and a
#   pip that installs from a local wheel folder only (`docker build` has no network here).
set -uo pipefail
IMAGE=${KERNEL_IMAGE:-autograder-kernel-test:latest}
GRADER=${GRADER_IMAGE:-autograder-grader:ci}
BASE=autograder-base-local  # tagged with a hash of the venv's packages
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin  # docker import sets no PATH
STATE=${DOCKER_STATE:-/tmp/autograder-dockerd}
PIDFILE=$STATE/dockerd.pid
PYTHON=${PYTHON:-.venv/bin/python}  # a Python 3.11 with pip: it fetches the kernel's wheels

note() { echo "note: $*; the Docker end-to-end tests will be skipped" >&2; exit 0; }
# The engine runs and the base is there, so a failed build is grader.Dockerfile's fault: CI fails.
fail() { echo "error: $*" >&2; tail -n 30 "$STATE/build.log" >&2; stop; exit 1; }

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
    kernel_image
    grader_image
}

# Python 3.11, and useradd for grader.Dockerfile.
PACKAGES=python3,python-is-python3,passwd

rootfs() {  # Debian bookworm minbase with PACKAGES, into $STATE/rootfs once (again when PACKAGES change)
    [ "$(cat "$STATE/rootfs/.packages" 2>/dev/null)" = "$PACKAGES" ] && return 0
    command -v debootstrap >/dev/null || note "debootstrap is not installed, so the test images cannot be built"
    rm -rf "$STATE/rootfs" "$STATE/rootfs.part"
    debootstrap --variant=minbase --include="$PACKAGES" bookworm "$STATE/rootfs.part" \
        http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1 || note "debootstrap failed (see $STATE/debootstrap.log)"
    echo "$PACKAGES" >"$STATE/rootfs.part/.packages"
    mv "$STATE/rootfs.part" "$STATE/rootfs"
}

# A fresh copy of the root to add to, removed when the script ends.
scratch_root() {
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    cp -a "$STATE/rootfs/." "$root/"
    rm "$root/.packages"
}

kernel_image() {
    docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    rootfs
    scratch_root
    # Debian's own ipykernel does not install by debootstrap (its resolver misses virtual packages): the kernel's
    # packages come from PyPI as wheels, for Debian's Python 3.11, into the image's /usr/local.
    "$PYTHON" -m pip install --quiet --only-binary=:all: --target "$root/usr/local/lib/python3.11/dist-packages" \
        ipykernel numpy scipy >"$STATE/pip.log" 2>&1 || note "pip could not get the kernel's packages (see $STATE/pip.log)"
    tar -C "$root" -c . | docker import --change "ENV PATH=$IMAGE_PATH" - "$IMAGE" >/dev/null \
        || note "docker import of $IMAGE failed"
    rm -rf "$root"
    echo "built $IMAGE"
}

# The base is made again when the venv's packages change (its tag is a hash of them); grader.Dockerfile is built
# every time, so a changed Dockerfile or package is never graded with a stale image (unchanged steps come from
# the build cache, in seconds).
grader_image() {
    packages=$({ "$PYTHON" -m pip freeze --exclude-editable 2>/dev/null; echo "$PACKAGES"; } | sha256sum)
    base="$BASE:${packages:0:12}"
    docker image inspect "$base" >/dev/null 2>&1 || local_base "$base"
    docker build --file grader.Dockerfile --build-arg "BASE=$base" --tag "$GRADER" . >"$STATE/build.log" 2>&1 \
        || fail "docker build of grader.Dockerfile on $base failed (the log's end follows; all of it: $STATE/build.log)"
    echo "built $GRADER from grader.Dockerfile on $base"
}

local_base() {
    rootfs
    scratch_root
    # The venv's packages, less torch (only the torch-backend test uses it) and this project's editable install.
    site=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    mkdir -p "$root/usr/local/lib/python3.11/dist-packages" "$root/opt/wheelhouse"
    (cd "$site" && ls -A | grep -v -E '^((torch|torchgen|functorch)(-.*)?|__editable__.*|autograder-.*\.dist-info)$' |
        tar -c -T -) | tar -C "$root/usr/local/lib/python3.11/dist-packages" -x || note "could not copy $site"
    # Building the project needs its build backend: pip's build isolation takes it from the wheel folder.
    "$PYTHON" -m pip download --quiet --only-binary=:all: --no-deps -d "$root/opt/wheelhouse" 'setuptools>=68' \
        >"$STATE/pip.log" 2>&1 || note "pip could not get setuptools (see $STATE/pip.log)"
    printf '[global]\nno-index = true\nfind-links = /opt/wheelhouse\nbreak-system-packages = true\n' \
        >"$root/etc/pip.conf"
    tar -C "$root" -c . | docker import --change "ENV PATH=$IMAGE_PATH" - "$1" >/dev/null \
        || note "docker import of $1 failed"
    rm -rf "$root"
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
