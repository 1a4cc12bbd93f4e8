#!/usr/bin/env bash
# Rebuilds data/speech/{train,valid,test}.npy (seqppl's built-in default speech dataset) from the
# real recorded speech in two Debian bookworm packages; see data/speech/README.md.
#   bash scripts/build-default-dataset.sh
# Needs apt (run `apt-get update` once first) and node_modules (npx tsx). The packages are not
# installed: `apt-get download` fetches the exact versions below and `dpkg -x` unpacks them into a
# temporary directory, which is removed afterwards. Every source file is checked against its
# sha256 (in build-default-dataset.ts), so the output is byte-identical on every rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=("alsa-utils=1.2.8-1" "pocketsphinx-testdata=0.8+5prealpha+1-15")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"   # lets apt's sandbox user write the downloads
(cd "$tmp" && apt-get download -q "${PKGS[@]}")
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
npx tsx scripts/build-default-dataset.ts "$tmp/root" data/speech
ls -l data/speech
du -cb data/speech/*.npy | tail -1
