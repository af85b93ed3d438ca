# shellcheck shell=bash
# Installs what Gatehouse needs to build, run and test, and nothing that is
# already there: every step checks first, so a second run is fast.
#
# Sourced by scripts/dev and scripts/check. Pinned versions live here and in
# Cargo.toml (wasm-bindgen) / end2end/package-lock.json (Playwright).

CARGO_LEPTOS_VERSION="0.3.10"   # 0.3.11 needs a newer rustc than 1.95
WASM_TARGET="wasm32-unknown-unknown"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1
  fi
}

APT_UPDATED=""
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
    log "adding the $WASM_TARGET target"
    rustup target add "$WASM_TARGET"
  fi
}

ensure_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
}

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly; cargo-leptos
# would otherwise try to download one, which fails on machines without the
# internet. Installed without --locked: its lock names a crate the registry lacks.
ensure_wasm_bindgen() {
  local version
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ -z "$version" ]; then
    echo "cannot find wasm-bindgen in Cargo.lock" >&2
    return 1
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    log "installing wasm-bindgen-cli $version"
    cargo install wasm-bindgen-cli --version "$version"
  fi
}

# wasm-opt for release builds, Chromium for the browser tests, PostgreSQL
# client tools for the test databases, zbarimg and rsvg-convert to prove in a
# test that the 2FA QR code really scans, and Debian's aiosmtpd (run with
# /usr/bin/python3) as the real SMTP server the mail tests deliver to, and
# redis-server, which the shared-limit tests start privately to stop it.
ensure_system_packages() {
  apt_install binaryen chromium postgresql-client zbar-tools librsvg2-bin python3-aiosmtpd \
    redis-server redis-tools
}

# PyJWT with its crypto extra (EdDSA, ES256) for the Python resource server
# the token tests run (end2end/resource_server/verify.py): an independent JWT
# implementation verifying Gatehouse tokens from the JWKS alone. Installed
# into the python3 on PATH, the one the tests run; a Debian python3 that
# refuses pip (PEP 668) gets Debian's packages instead.
ensure_python_packages() {
  python3 -c 'import jwt, cryptography; jwt.PyJWKClient' >/dev/null 2>&1 && return 0
  log "installing PyJWT with its crypto extra"
  python3 -m pip install --quiet --disable-pip-version-check 'pyjwt[crypto]>=2.6' ||
    apt_install python3-jwt python3-cryptography
}

ensure_npm_packages() {
  if [ ! -d end2end/node_modules/@playwright/test ] ||
    [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    log "installing the end2end npm packages"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_toolchain() {
  ensure_system_packages
  ensure_python_packages
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_npm_packages
}
