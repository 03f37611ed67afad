#!/usr/bin/env bash
# Loads an animated PNG in headless Chromium (Debian's `chromium` package) and prints what the
# browser decoded: size, whether it is animated, and its frame count (WebCodecs ImageDecoder),
# e.g. for the APNG `make demo` leaves. Not part of `make test` (it needs a browser).
#
#   bash Scripts/check_apng_in_chromium.sh demo/animation.png
set -euo pipefail
PNG=$(realpath "${1:?usage: check_apng_in_chromium.sh FILE.png}")
command -v chromium >/dev/null || { echo "chromium not installed: apt-get install chromium" >&2; exit 1; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cp "$PNG" "$DIR/a.png"
cat > "$DIR/page.html" <<'HTML'
<!doctype html><html><body><img id="i" src="a.png"><pre id="out">pending</pre><script>
const out = document.getElementById("out");
async function run() {
  const img = document.getElementById("i");
  await img.decode();
  const bytes = await (await fetch("a.png")).arrayBuffer();
  const dec = new ImageDecoder({data: bytes, type: "image/png"});
  await dec.tracks.ready;
  await dec.completed;
  const t = dec.tracks.selectedTrack;
  const last = await dec.decode({frameIndex: t.frameCount - 1});
  out.textContent = "RES" + `ULT img ${img.naturalWidth}x${img.naturalHeight} animated=${t.animated} frames=${t.frameCount} ` +
    `repetitionCount=${t.repetitionCount} lastFrame=${last.image.displayWidth}x${last.image.displayHeight} ` +
    `duration=${last.image.duration}us`;
}
run().catch(e => out.textContent = "RES" + "ULT error " + e);
</script></body></html>
HTML
# --dump-dom sometimes returns before the asynchronous decode has finished: try a few times.
for attempt in $(seq 1 10); do
  if result=$(chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
      --virtual-time-budget=30000 --dump-dom "file://$DIR/page.html" 2>/dev/null | grep -o "RESULT [^<]*"); then
    echo "$result"
    [[ "$result" == "RESULT img"* ]]
    exit
  fi
done
echo "chromium gave no result for $PNG" >&2
exit 1
