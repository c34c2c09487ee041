#!/bin/sh
# Fetch third-party front-end files from the npm registry into internal/web/static/vendor/.
# The results are committed so that `go build` needs neither npm nor internet.
# Usage: scripts/fetch-frontend.sh   (run from anywhere; needs npm and tar)
set -eu

HTMX_VERSION=2.0.11
ECHARTS_VERSION=6.1.0

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/internal/web/static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$dest"
cd "$tmp"

# fetch NAME VERSION: download the package tarball with `npm pack` and unpack it into ./NAME.
fetch() {
	tgz=$(npm pack --silent "$1@$2")
	mkdir -p "$1"
	tar -xzf "$tgz" -C "$1" --strip-components=1
}

fetch htmx.org "$HTMX_VERSION"
fetch echarts "$ECHARTS_VERSION"

cp htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp htmx.org/LICENSE "$dest/htmx.LICENSE.txt"
cp echarts/dist/echarts.min.js "$dest/echarts.min.js"
cp echarts/LICENSE "$dest/echarts.LICENSE.txt"
# Apache-2.0 asks that the NOTICE file travel with the work.
if [ -f echarts/NOTICE ]; then cp echarts/NOTICE "$dest/echarts.NOTICE.txt"; fi

{
	echo "# Third-party front-end files, fetched by scripts/fetch-frontend.sh from the npm registry."
	echo "# file              package            version   licence"
	printf 'htmx.min.js         htmx.org           %s    %s\n' "$HTMX_VERSION" "$(node -p 'require("./htmx.org/package.json").license')"
	printf 'echarts.min.js      echarts            %s    %s\n' "$ECHARTS_VERSION" "$(node -p 'require("./echarts/package.json").license')"
	echo "# sha256"
	(cd "$dest" && sha256sum htmx.min.js echarts.min.js)
} >"$dest/VERSIONS.txt"

echo "vendor files written to $dest"
