#!/usr/bin/env bash
# Builds the part of OpenSSL's libcrypto the core links for wasm32 with Emscripten, from Debian's `openssl`
# source package.
#
#   wasm/build-openssl.sh OUT_DIR
#
# Leaves OUT_DIR/lib/libcrypto.a and OUT_DIR/include/openssl/*.h. The archive holds only the objects listed
# in `objects` below (SHA-256 and CRYPTO_memcmp, what src/dispatch/signature.cpp calls): the whole library
# takes minutes to build and the linker would drop all the rest. An OpenSSL function the core starts to use
# fails the wasm link with "undefined symbol: NAME"; add the object that defines it (`llvm-nm` on a full
# build names it). The upstream tarball (the `.orig.tar.gz`
# of the source package) is pinned by version and sha256 below and kept in OUT_DIR/src, so a second run
# with the same pin does nothing. Nothing is fetched from anywhere but Debian's archive, through apt.
set -euo pipefail

out=${1:?usage: build-openssl.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# Pinned inputs. Debian moves point releases between suites, so more than one version is accepted; each
# is checked against its own upstream sha256 and the first that apt can supply is used.
pins=(
  "3.0.20-1~deb12u2 c80a01dfc70ece4dc21168932c37739042d404d46ccc81a5986dd75314ecda6f"
  "3.0.17-1~deb12u2 dfdd77e4ea1b57ff3a6dbde6b0bdc3f31db5ac99e7fdd4eaf9e1fbb6ec2db8ce"
  "3.0.22-1~deb12u2 67ebca7e50d17383028045486653492195b83db95f8558709701bb47b5c1ef81"
)

# The stamp names the version and this recipe: a build from an older recipe (a stamp with the version alone,
# before the archive was cut down to `objects`; objects-1, before SHA-256 was unrolled; objects-2, before its
# message schedule used SIMD128) is made again, from the tarball kept in OUT_DIR/src.
recipe="objects-3"
stamp="$out/.built"
if [[ -f "$stamp" && -f "$out/lib/libcrypto.a" ]] && grep -q " $recipe\$" "$stamp"; then
  touch "$out/lib/libcrypto.a" # newer than this script, so ninja does not run it again
  exit 0
fi

mkdir -p "$out/src"
cd "$out/src"

tarball=""
for pin in "${pins[@]}"; do
  read -r debver sha <<<"$pin"
  upstream=${debver%%-*}
  candidate="openssl_${upstream}.orig.tar.gz"
  if [[ ! -f "$candidate" ]]; then
    # apt-get may fail on the .dsc of a version whose orig tarball it did fetch; the hash decides.
    apt-get source --download-only -qq "openssl=${debver}" >/dev/null 2>&1 || true
  fi
  if [[ -f "$candidate" ]]; then
    if echo "${sha}  ${candidate}" | sha256sum --check --status; then
      tarball=$candidate
      version=$upstream
      break
    fi
    echo "build-openssl: $candidate does not match its pinned sha256; removing it" >&2
    rm -f "$candidate"
  fi
done

if [[ -z "$tarball" ]]; then
  cat >&2 <<'EOF'
build-openssl: could not get a pinned OpenSSL source tarball from Debian's archive.
  It needs deb-src entries for bookworm (script/bootstrap adds them) and `apt-get update`.
EOF
  exit 1
fi

echo "build-openssl: OpenSSL ${version} ($(sha256sum "$tarball" | cut -c1-16)…) for wasm32"
rm -rf "openssl-${version}"
tar xzf "$tarball"
cd "openssl-${version}"
# OpenSSL's SHA-256 in C, with one branch added for WebAssembly SIMD128 (wasm/openssl-sha256-wasm-simd.patch):
# the message schedule four words at a time and Maj reusing the previous round's a^b. V8 hashes 50 % faster
# (about 310 -> 470 MB/s); a build without -msimd128 compiles OpenSSL's own code unchanged.
patch -p1 --quiet <"$here/openssl-sha256-wasm-simd.patch"

export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
# linux-generic32: a 32-bit target with no assembly, which is what wasm32 is.
# no-asm no-threads no-shared: plain C, single-threaded, static.
# no-dso no-engine no-async no-sock no-ui-console no-afalgeng: features that need an OS we do not have.
# no-tests: we build only libcrypto.a.
emconfigure ./Configure linux-generic32 \
  no-asm no-threads no-shared no-dso no-engine no-async no-sock no-ui-console no-afalgeng no-tests \
  --prefix="$out" -Os >/dev/null
# Emscripten's emconfigure sets CC=emcc; OpenSSL's generated Makefile otherwise prefixes a cross compiler.
sed -i 's|^CROSS_COMPILE=.*|CROSS_COMPILE=|' Makefile
# What the core links, and what those objects need: SHA256_Init/Update/Final (sha256.c, which calls
# OPENSSL_cleanse from mem_clr.c) and CRYPTO_memcmp (cpuid.c, in a no-asm build).
objects=(crypto/sha/libcrypto-lib-sha256.o crypto/libcrypto-lib-mem_clr.o crypto/libcrypto-lib-cpuid.o)
# -msimd128 selects the patch's branch (node, V8 and workerd run SIMD128; json_io.cpp needs it already); its
# loops are unrolled by pragma, so the rounds' values stay in locals. -O3 rather than -Os: the other two
# objects are tiny.
emmake make -j"$(nproc)" build_generated "${objects[@]}" CFLAGS="-Wall -O3 -msimd128" >/dev/null
rm -f libcrypto.a
emar rcs libcrypto.a "${objects[@]}"

mkdir -p "$out/lib" "$out/include"
cp libcrypto.a "$out/lib/"
rm -rf "$out/include/openssl"
cp -r include/openssl "$out/include/"
echo "$version $recipe" >"$stamp"
echo "build-openssl: done: $out/lib/libcrypto.a ($(du -k "$out/lib/libcrypto.a" | cut -f1) KiB)"
