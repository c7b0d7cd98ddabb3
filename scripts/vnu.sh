#!/usr/bin/env bash
# The Nu Html Checker (vnu.jar, from the npm package vnu-jar) for the HTML tests, pinned to
# version $1 and installed into the directory $2 (git-ignored), once per version.
# Needs npm to install it and Java 11 or newer to run it; says which is missing.
# The package's postinstall script is skipped: it only downloads a Java runtime when none
# is found, and the tests run the jar with the java on the PATH.
set -euo pipefail

version="$1"
dir="$2"
jar="$dir/node_modules/vnu-jar/build/dist/vnu.jar"
stamp="$dir/.installed-$version"

if ! command -v java >/dev/null 2>&1; then
  echo "vnu: the Nu Html Checker needs Java 11 or newer, and java is not on the PATH;" \
    "install it (Debian: apt-get install default-jre-headless)" >&2
  exit 1
fi
java_major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\)[."].*/\1/p' | head -n 1)
if [ -z "$java_major" ] || [ "$java_major" -lt 11 ]; then
  echo "vnu: the Nu Html Checker needs Java 11 or newer; java -version says:" >&2
  java -version >&2 || true
  exit 1
fi

if [ -f "$stamp" ] && [ -f "$jar" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vnu: installing the Nu Html Checker needs npm, which is not on the PATH;" \
    "install Node.js with npm (Debian: apt-get install npm)" >&2
  exit 1
fi
echo "vnu: installing vnu-jar@$version into $dir/"
rm -f "$dir"/.installed-*
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error \
  --save-exact "vnu-jar@$version"
test -f "$jar" || { echo "vnu: $jar is missing after the install" >&2; exit 1; }
touch "$stamp"
