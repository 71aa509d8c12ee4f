#!/usr/bin/env bash
# Builds the mio-forum peer offline from Debian's packages: cargo, rustc and
# librust-mio-0.6-dev (crate sources in /usr/share/cargo/registry, which
# .cargo/config.toml puts in place of crates.io). Prints the binary's path;
# on failure one line saying what is missing, exit 1.
#
# usage: peers/mio-forum/build.sh [TARGET_DIR]   (default peers/mio-forum/target)
set -euo pipefail
cd "$(dirname "$0")"
target_dir=$(realpath -m "${1:-target}")
# Debian's toolchain when it is there (a rustup one on PATH may be newer).
cargo=$(command -v /usr/bin/cargo || command -v cargo || true)
[ -n "$cargo" ] || { echo "mio-forum: cargo is not installed (Debian: apt-get install cargo rustc librust-mio-0.6-dev)" >&2; exit 1; }
rustc=$(command -v /usr/bin/rustc || command -v rustc || true)
ls -d /usr/share/cargo/registry/mio-0.6.* >/dev/null 2>&1 ||
  { echo "mio-forum: mio 0.6's sources are not installed (Debian: apt-get install librust-mio-0.6-dev)" >&2; exit 1; }
mkdir -p "$target_dir"
if ! RUSTC="$rustc" "$cargo" build --release --offline --target-dir "$target_dir" >"$target_dir/build.log" 2>&1; then
  echo "mio-forum: cargo build failed: $(grep -m1 -E '^error' "$target_dir/build.log" || tail -1 "$target_dir/build.log") (log: $target_dir/build.log)" >&2
  exit 1
fi
echo "$target_dir/release/mio-forum"
