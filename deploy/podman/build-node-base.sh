#!/usr/bin/env bash
# Build a Node base image without any registry: `podman import` of a root filesystem holding this
# machine's own `node` (and npm, /bin/sh, /usr/bin/env, the shared libraries `ldd` lists), a
# `node` user (uid 1000) and /tmp. The Dockerfile takes it with
#   podman build --build-arg NODE_IMAGE=localhost/celeriac-node-base:<node version> .
# With --without-npm it leaves npm out (tag suffix -slim): a runtime base for
#   --build-arg RUNTIME_IMAGE=localhost/celeriac-node-base:<node version>-slim
# Prints the image reference on stdout (last line). Idempotent: an existing tag is reused unless
# FORCE=1. As root it installs podman, runc and uidmap with apt-get when they are missing.
set -euo pipefail

log() { echo "[node-base] $*" >&2; }

with_npm=1
case "${1:-}" in
  --without-npm) with_npm=0 ;;
  '') ;;
  *) log "usage: $0 [--without-npm]"; exit 2 ;;
esac

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v newuidmap >/dev/null || missing+=(uidmap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing ${missing[*]}: install them (apt-get install --no-install-recommends podman runc uidmap)"
    exit 1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version | sed 's/^v//')"
image="localhost/celeriac-node-base:${node_version}$([ "$with_npm" = 1 ] || echo -slim)"

if [ "${FORCE:-0}" != 1 ] && podman image exists "$image"; then
  log "reusing $image"
  echo "$image"
  exit 0
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

# Copy a file with its parent directories, following symlinks.
put() { mkdir -p "$rootfs$(dirname "$2")" && cp -L "$1" "$rootfs$2"; }
# The shared libraries of a binary, and the dynamic loader.
libs() { ldd "$1" | awk '/=> \//{print $3} /^\s*\/lib/{print $1}'; }

put "$node_bin" /usr/local/bin/node
put "$(readlink -f /bin/sh)" /bin/sh
put "$(readlink -f /usr/bin/env)" /usr/bin/env
for lib in $(libs "$node_bin") $(libs /bin/sh) $(libs /usr/bin/env); do
  put "$lib" "$lib"
done
# npm for the Dockerfile's build stages (the runtime stage does not call it).
if [ "$with_npm" = 1 ]; then
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
fi

mkdir -p "$rootfs/etc" "$rootfs/home/node" "$rootfs/tmp" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chown 1000:1000 "$rootfs/home/node"

log "importing $(du -sh "$rootfs" | cut -f1) as $image"
tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_VERSION=${node_version}" \
  --change 'CMD ["node"]' \
  - "$image" >&2
echo "$image"
