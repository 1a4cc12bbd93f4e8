#!/usr/bin/env bash
# Rebuilds data/speech/ (seqppl's built-in speech dataset: 16-bit mono WAV files per split and
# dataset.json) from the real recorded speech in four Debian bookworm packages; see
# data/speech/README.md.
#   bash scripts/build-default-dataset.sh
# Needs apt (run `apt-get update` once first), ffmpeg (installed with apt-get if missing: it
# decodes the G.722 prompts) and node_modules (npx tsx). The packages themselves are not
# installed: `apt-get download` fetches the exact versions below into a temporary directory,
# their sha256 is checked, and `dpkg -x` unpacks them there. The result is checked against
# data/speech/SHA256SUMS when that file exists, so a rebuild is byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=("alsa-utils=1.2.8-1" "pocketsphinx-testdata=0.8+5prealpha+1-15" "codec2-examples=1.0.5-1" "asterisk-core-sounds-en-g722=1.6.1-1")
DEB_SHA256="fb24eb1a318228b974efbef726190dd90c6106a208814a3ee8f5d69b91ee0ba4  alsa-utils_1.2.8-1_amd64.deb
38c5261820b406dcb0ecb37675720da2b0864850690690352ca52707eb623806  asterisk-core-sounds-en-g722_1.6.1-1_all.deb
7af8cd128f269a1d8116993c9d2bd7d4d452fc17da46a09899aaca2b9bd993d4  codec2-examples_1.0.5-1_all.deb
eaeb7a01d54f20b799d1a81ef110ec544b2cb47ea006614078220737a33019f0  pocketsphinx-testdata_0.8+5prealpha+1-15_all.deb
"
command -v ffmpeg >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"   # lets apt's sandbox user write the downloads
(cd "$tmp" && apt-get download -q "${PKGS[@]}")
(cd "$tmp" && echo -n "$DEB_SHA256" | sha256sum --quiet -c -)
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
mkdir -p "$tmp/root/g722-decoded"
for f in "$tmp"/root/usr/share/asterisk/sounds/en_US_f_Allison/*.g722; do
  ffmpeg -nostdin -hide_banner -loglevel error -f g722 -i "$f" -f s16le -ac 1 -ar 16000 "$tmp/root/g722-decoded/$(basename "$f" .g722).s16"
done
old=""
[ -f data/speech/SHA256SUMS ] && old=$(cat data/speech/SHA256SUMS)
npx tsx scripts/build-default-dataset.ts "$tmp/root" data/speech
if [ -n "$old" ] && [ "$old" != "$(cat data/speech/SHA256SUMS)" ]; then
  echo "warning: the rebuild differs from the previous data/speech/SHA256SUMS (git diff data/speech/SHA256SUMS)" >&2
fi
du -cb data/speech/{train,valid,test}/*.wav | tail -1
