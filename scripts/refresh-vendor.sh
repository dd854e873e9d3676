#!/usr/bin/env bash
# Refresh the browser libraries energymon serves itself (no CDN): uPlot for the dashboard's
# charts, Swagger UI and ReDoc for /docs and /redoc. Each comes from the npm registry with
# `npm pack` (no install, no build), and only the dist files the pages load are kept, with the
# package's licence files and a VERSION file naming package, version, licence and tarball hash.
#
# Usage: scripts/refresh-vendor.sh [uplot|swagger-ui|redoc]...   (default: all three)
#   UPLOT_VERSION=1.6.32 SWAGGER_UI_VERSION=5.35.0 REDOC_VERSION=2.5.2 pin other versions.
# Then: check the dashboard (make test, make screenshots) and commit the vendor folder.
#
# ReDoc stays on 2.x: 3.x sends usage data to its vendor (telemetry) and is twice the size.
# ReDoc 2's sidebar loads a logo from its vendor's CDN; that one URL is replaced with an empty
# inline SVG below, and the script fails if the URL is no longer found exactly once.
set -euo pipefail

UPLOT_VERSION=${UPLOT_VERSION:-1.6.32}
SWAGGER_UI_VERSION=${SWAGGER_UI_VERSION:-5.35.0}
REDOC_VERSION=${REDOC_VERSION:-2.5.2}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$REPO/src/energymon/web/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# fetch NAME VERSION: unpack NAME@VERSION's tarball into $WORK/NAME, print its sha512 integrity.
fetch() {
    local name=$1 version=$2
    (cd "$WORK" && npm pack --silent "$name@$version" >/dev/null)
    mkdir -p "$WORK/$name"
    tar -xzf "$WORK/$name-$version.tgz" -C "$WORK/$name" --strip-components=1
    npm view "$name@$version" dist.integrity
}

# install_files NAME DEST FILE...: copy FILEs from the unpacked package into a fresh DEST.
install_files() {
    local name=$1 dest=$2
    shift 2
    rm -rf "$dest"
    mkdir -p "$dest"
    for file in "$@"; do
        cp "$WORK/$name/$file" "$dest/"
    done
}

# record DEST NAME VERSION INTEGRITY: the VERSION file beside the vendored files.
record() {
    local dest=$1 name=$2 version=$3 integrity=$4 license
    license=$(node -p "require('$WORK/$name/package.json').license")
    {
        echo "name: $name"
        echo "version: $version"
        echo "license: $license"
        echo "source: npm pack $name@$version"
        echo "integrity: $integrity"
        echo "files: $(cd "$dest" && ls | grep -v '^VERSION$' | tr '\n' ' ')"
    } >"$dest/VERSION"
    echo "vendored $name $version ($license) into ${dest#"$REPO/"}"
}

refresh_uplot() {
    local integrity
    integrity=$(fetch uplot "$UPLOT_VERSION")
    install_files uplot "$VENDOR/uplot" dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE
    record "$VENDOR/uplot" uplot "$UPLOT_VERSION" "$integrity"
}

refresh_swagger_ui() {
    local integrity
    integrity=$(fetch swagger-ui-dist "$SWAGGER_UI_VERSION")
    install_files swagger-ui-dist "$VENDOR/swagger-ui" swagger-ui-bundle.js swagger-ui.css \
        swagger-ui-bundle.js.LICENSE.txt LICENSE NOTICE
    record "$VENDOR/swagger-ui" swagger-ui-dist "$SWAGGER_UI_VERSION" "$integrity"
}

refresh_redoc() {
    local integrity bundle logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
    integrity=$(fetch redoc "$REDOC_VERSION")
    install_files redoc "$VENDOR/redoc" bundles/redoc.standalone.js \
        bundles/redoc.standalone.js.LICENSE.txt LICENSE
    bundle="$VENDOR/redoc/redoc.standalone.js"
    if [[ $(grep -o "$logo" "$bundle" | wc -l) -ne 1 ]]; then
        echo "refresh-vendor.sh: $logo is not in redoc $REDOC_VERSION exactly once;" \
            "find what it loads from other hosts before vendoring it" >&2
        exit 1
    fi
    sed -i "s#$logo#data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E#" "$bundle"
    record "$VENDOR/redoc" redoc "$REDOC_VERSION" "$integrity"
    echo "patch: the sidebar logo's URL ($logo) replaced by an empty inline SVG" \
        >>"$VENDOR/redoc/VERSION"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(uplot swagger-ui redoc)
for target in "${targets[@]}"; do
    case "$target" in
        uplot) refresh_uplot ;;
        swagger-ui) refresh_swagger_ui ;;
        redoc) refresh_redoc ;;
        *) echo "refresh-vendor.sh: unknown library: $target (uplot, swagger-ui, redoc)" >&2; exit 2 ;;
    esac
done
