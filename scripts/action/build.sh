#!/bin/bash
# The crier binary for the composite action (action.yml), built once per
# source and runner image and kept in the Actions cache between runs.
#
#   build.sh key    prints to $GITHUB_OUTPUT where crier is installed (dir)
#                   and the cache key for it (key): the runner image and a
#                   hash of the sources (an action is downloaded without
#                   .git, so the files are its version)
#   build.sh build  builds and installs crier into $CRIER_PREFIX unless a
#                   working crier is there already (restored from the
#                   cache); built=true|false to $GITHUB_OUTPUT; puts
#                   $CRIER_PREFIX/bin on the PATH of the steps after it
#
# The libraries crier links or opens (libcurl, jansson, libsodium, …) are
# copied beside it and found through its RPATH (which dlopen reads too),
# so that a cached build runs on a fresh runner of the same image without
# installing a package.
set -euo pipefail
src=${GITHUB_ACTION_PATH:?the action directory}
out=${GITHUB_OUTPUT:-/dev/null}

case "${1:-}" in
key)
  dir="${RUNNER_TEMP:?}/crier-bin"
  # the image: GitHub's images name themselves; elsewhere the distribution
  image="${ImageOS:-}-${ImageVersion:-}"
  if [ "$image" = - ] && [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091 # the running system's file
    image=$(. /etc/os-release && echo "${ID:-linux}-${VERSION_ID:-}")
  fi
  sources=$(cd "$src" && find CMakeLists.txt src templates scripts/action/build.sh \
    -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
  {
    echo "dir=$dir"
    echo "key=crier-bin-$image-$(uname -m)-$sources"
  } >>"$out"
  ;;
build)
  prefix=${CRIER_PREFIX:?}
  if [ -x "$prefix/bin/crier" ] && "$prefix/bin/crier" --version >/dev/null 2>&1; then
    echo "crier: $("$prefix/bin/crier" --version) from the cache"
    echo "built=false" >>"$out"
  else
    libs="libcurl jansson yaml-0.1 libsodium libcmark sqlite3 libcrypto libmicrohttpd"
    # shellcheck disable=SC2086
    if ! command -v cmake >/dev/null || ! command -v pkg-config >/dev/null ||
        ! pkg-config --exists $libs || [ ! -f /usr/include/unigbrk.h ]; then
      sudo=""
      [ "$(id -u)" = 0 ] || sudo=sudo
      $sudo apt-get update -qq
      $sudo apt-get install -y -qq --no-install-recommends cmake pkg-config \
        gcc make libcurl4-openssl-dev libjansson-dev libyaml-dev libsodium-dev \
        libcmark-dev libsqlite3-dev libssl-dev libmicrohttpd-dev \
        libunistring-dev tzdata jq >/dev/null
    fi
    build="${RUNNER_TEMP:?}/crier-build"
    rm -rf "$build" "$prefix"
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_RPATH='$ORIGIN/../lib' \
      -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
    cmake --install "$build" >/dev/null
    # the libraries beside it, but not the C library's own (the image has
    # those, and they must match its dynamic linker)
    mkdir -p "$prefix/lib"
    # libcurl, libcrypto, libmicrohttpd, libsqlite3, libcmark, libunistring,
    # libsodium, Jansson and libyaml are opened when a command needs them
    # (src/lazy.h), so ldd does not list them: each goes beside crier under
    # its SONAME, and what they link with the rest (libunistring has no
    # pkg-config file: it is found where libcmark is)
    lazy=""
    for pc in libcurl libcrypto libmicrohttpd sqlite3 libcmark unistring libsodium \
      jansson yaml-0.1; do
      if [ "$pc" = unistring ]; then
        lib=$(readlink -f "$(pkg-config --variable=libdir libcmark)/libunistring.so")
      else
        name=$(pkg-config --libs-only-l "$pc" | sed 's/^-l//; s/ .*//')
        lib=$(readlink -f "$(pkg-config --variable=libdir "$pc")/lib$name.so")
      fi
      soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
      cp -L "$lib" "$prefix/lib/${soname:?no SONAME in $lib}"
      lazy="$lazy $lib"
    done
    # shellcheck disable=SC2086 # one path each
    { ldd "$prefix/bin/crier"; for lib in $lazy; do ldd "$lib"; done; } |
      awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
      while read -r lib; do
        case "${lib##*/}" in
        libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
          libresolv.so.* | ld-linux*) ;;
        *) cp -L "$lib" "$prefix/lib/" ;;
        esac
      done
    "$prefix/bin/crier" --version
    echo "built=true" >>"$out"
  fi
  echo "$prefix/bin" >>"${GITHUB_PATH:-/dev/null}"
  ;;
*)
  echo "usage: build.sh key|build" >&2
  exit 64
  ;;
esac
