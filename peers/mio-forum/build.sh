#!/usr/bin/env bash
# Builds the mio-forum peer offline from Debian's packages: cargo, rustc and
# librust-mio-0.6-dev (crate sources in /usr/share/cargo/registry, which
# .cargo/config.toml puts in place of crates.io). Prints the binary's path;
# on failure one line saying what is missing, exit 1.
#
# After a successful build it writes the build's provenance next to the
# binary, TARGET_DIR/release/mio-forum.build.json: the binary's path and
# sha256, `rustc -V`, `cargo -V`, the profile, what can change rustc's
# flags, recorded literally ("rustflags": the exported RUSTFLAGS, RUSTDOCFLAGS,
# RUSTC_* and CARGO_* variables and RUSTC as given to cargo, the
# [profile.release] section of Cargo.toml, every non-comment line of each
# cargo config file cargo reads), every crate in Cargo.lock and the ones
# `cargo tree` says are built for this host, a sha256 over src/ and
# Cargo.toml, and when the binary was written (its mtime, ISO UTC). A failure
# there is one line and exit 1 too. Only bash, coreutils, findutils, awk, sed
# and iconv are used (no python): the JSON is escaped here.
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
binary="$target_dir/release/mio-forum"

# ---- provenance ------------------------------------------------------------

# A JSON string literal of $1: backslash, quote and control characters
# escaped; bytes that are not UTF-8 dropped (iconv -c), so the file stays
# valid JSON whatever an environment variable holds.
json_str() {
  local s=$1 i c
  if ! printf '%s' "$s" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
    s=$(printf '%s' "$s" | iconv -c -f UTF-8 -t UTF-8 2>/dev/null; printf x)
    s=${s%x}
  fi
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  if [[ $s == *[[:cntrl:]]* ]]; then
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    for i in {1..31} 127; do
      printf -v c "\\x$(printf '%02x' "$i")"
      [[ $s == *"$c"* ]] && s=${s//"$c"/$(printf '\\u%04x' "$i")}
    done
  fi
  printf '"%s"' "$s"
}

# "a", "b", ... from the lines of $1; nothing when $1 is empty.
json_lines() {
  local line sep=""
  [ -n "$1" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s%s' "$sep" "$(json_str "$line")"
    sep=", "
  done <<<"$1"
}

# The lines of one TOML file's sections whose header matches the awk regex
# $2 (headers included), comments and blank lines left out. The regex comes
# through the environment: awk -v would eat its backslashes.
toml_sections() {
  WANT=$2 awk '
    /^[ \t]*\[/ { keep = ($0 ~ ENVIRON["WANT"]) }
    keep && !/^[ \t]*(#|$)/ { print }' "$1"
}

provenance() {
  local out=$1 sha rustc_v cargo_v built_at var sep lock crates_built dir file lines src_sha
  local name version source checksum
  local -a config
  sha=$(sha256sum "$binary" | awk '{print $1}')
  [ ${#sha} = 64 ] || { echo "sha256sum $binary failed" >&2; return 1; }
  rustc_v=$("${rustc:-rustc}" -V 2>&1) || rustc_v="unavailable: $rustc_v"
  cargo_v=$("$cargo" -V 2>&1) || cargo_v="unavailable: $cargo_v"
  # The binary's own write time: an up-to-date build does not rewrite it.
  built_at=$(date -u -r "$binary" +%Y-%m-%dT%H:%M:%SZ) || return 1
  # Each file's sha256 in a fixed order (Cargo.toml, then src/ C-sorted),
  # and the sha256 of that list.
  src_sha=$( { printf '%s\0' Cargo.toml; find src -type f -print0 | LC_ALL=C sort -z; } |
    xargs -0 sha256sum | sha256sum | awk '{print $1}')
  [ ${#src_sha} = 64 ] || { echo "hashing src/ and Cargo.toml failed" >&2; return 1; }
  [ -f Cargo.lock ] || { echo "no Cargo.lock after the build" >&2; return 1; }
  lock=$(awk '
    function value(line) { sub(/^[^"]*"/, "", line); sub(/"[ \t]*$/, "", line); return line }
    function flush() { if (name != "") print name "\t" version "\t" source "\t" checksum; name = version = source = checksum = "" }
    /^\[/          { flush(); inpkg = ($0 ~ /^\[\[package\]\]/); next }
    !inpkg         { next }
    /^name = /     { name = value($0) }
    /^version = /  { version = value($0) }
    /^source = /   { source = value($0) }
    /^checksum = / { checksum = value($0) }
    END { flush() }' Cargo.lock) || return 1
  # Cargo.lock also lists crates for other platforms (winapi, fuchsia...);
  # `cargo tree` names the ones compiled for this host ("name vX.Y.Z").
  if crates_built=$(RUSTC="$rustc" "$cargo" tree --offline --prefix none -e normal,build 2>/dev/null); then
    crates_built=$(printf '%s\n' "$crates_built" | sed 's/ (.*//' | LC_ALL=C sort -u)
  else
    crates_built=""
  fi
  {
    printf '{\n'
    printf '  "binary": %s,\n' "$(json_str "$binary")"
    printf '  "sha256": %s,\n' "$(json_str "$sha")"
    printf '  "rustc": %s,\n' "$(json_str "$rustc_v")"
    printf '  "cargo": %s,\n' "$(json_str "$cargo_v")"
    printf '  "profile": "release",\n'
    printf '  "rustflags": {\n'
    # The exported variables cargo and rustc read, then RUSTC as this script
    # set it for cargo; token-like ones are named, not copied.
    printf '    "env": {'
    sep=""
    for var in $(compgen -e | LC_ALL=C sort); do
      case $var in
        RUSTC) continue ;;
        RUSTFLAGS | RUSTDOCFLAGS | RUSTC_* | CARGO_*) ;;
        *) continue ;;
      esac
      case $var in
        *TOKEN* | *SECRET* | *PASSWORD* | *CREDENTIAL*)
          printf '%s\n      %s: "(set, not recorded)"' "$sep" "$(json_str "$var")" ;;
        *) printf '%s\n      %s: %s' "$sep" "$(json_str "$var")" "$(json_str "${!var}")" ;;
      esac
      sep=","
    done
    printf '%s\n      "RUSTC": %s\n    },\n' "$sep" "$(json_str "$rustc")"
    lines=$(toml_sections Cargo.toml '^[ \t]*[[]profile[.]release[].]')
    printf '    "cargo_toml_profile_release": [%s],\n' "$(json_lines "$lines")"
    # Cargo's config files where cargo looks for them (this directory and
    # each parent, then CARGO_HOME), every line but comments.
    printf '    "cargo_config": {'
    sep=""
    dir=$PWD
    config=()
    while :; do
      config+=("$dir/.cargo/config" "$dir/.cargo/config.toml")
      [ "$dir" = / ] && break
      dir=$(dirname "$dir")
    done
    config+=("${CARGO_HOME:-${HOME:-}/.cargo}/config" "${CARGO_HOME:-${HOME:-}/.cargo}/config.toml")
    for file in "${config[@]}"; do
      [ -f "$file" ] || continue
      lines=$(awk '!/^[ \t]*(#|$)/' "$file")
      printf '%s\n      %s: [%s]' "$sep" "$(json_str "$file")" "$(json_lines "$lines")"
      sep=","
    done
    printf '\n    }\n'
    printf '  },\n'
    # Every [[package]] of Cargo.lock, its fields as written there.
    printf '  "crates": ['
    sep=""
    while IFS=$'\t' read -r name version source checksum; do
      [ -n "$name" ] || continue
      printf '%s\n    {"name": %s, "version": %s' "$sep" "$(json_str "$name")" "$(json_str "$version")"
      [ -z "$source" ] || printf ', "source": %s' "$(json_str "$source")"
      [ -z "$checksum" ] || printf ', "checksum": %s' "$(json_str "$checksum")"
      printf '}'
      sep=","
    done <<<"$lock"
    printf '\n  ],\n'
    if [ -n "$crates_built" ]; then
      printf '  "crates_built": ['
      sep=""
      while read -r name version; do
        printf '%s\n    {"name": %s, "version": %s}' "$sep" "$(json_str "$name")" "$(json_str "${version#v}")"
        sep=","
      done <<<"$crates_built"
      printf '\n  ],\n'
    else
      printf '  "crates_built": null,\n'
    fi
    printf '  "source_sha256": %s,\n' "$(json_str "$src_sha")"
    printf '  "source_sha256_of": "sha256sum over Cargo.toml then every file under src/ (paths relative to peers/mio-forum, C-sorted), hashed again with sha256sum",\n'
    printf '  "built_at": %s\n' "$(json_str "$built_at")"
    printf '}\n'
  } >"$out"
}

record="$target_dir/release/mio-forum.build.json"
if ! provenance "$record.tmp.$$" 2>"$target_dir/provenance.log" || ! mv -f "$record.tmp.$$" "$record"; then
  rm -f "$record.tmp.$$"
  echo "mio-forum: built, but could not write $record: $(tail -1 "$target_dir/provenance.log" 2>/dev/null)" >&2
  exit 1
fi
echo "$binary"
