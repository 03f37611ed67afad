#!/usr/bin/env bash
# Renders one long animation as slices on many machines with GNU parallel, then joins them.
#
#   Scripts/render_parallel.sh --total FRAMES --output DIR [--slices N] [--sshlogin LOGINS]
#       [--bin talking-head] [--fps R] [--video FILE --audio AUDIO] -- COMMAND-ARGS...
#
# COMMAND-ARGS are those of `talking-head animate ...` or `talking-head say ...` without
# --output/--frames; each slice runs them with `--frames START:END --output DIR/slice_K`.
# --sshlogin is GNU parallel's (`:` = this machine; `4/host1,4/host2` = 4 jobs on each): the
# workers need the same paths (a shared folder) and talking-head installed. FRAMES: the
# animation's frame count (rows of the pose CSV; `talking-head lipsync AUDIO --fps R | tail -n +2 | wc -l`).
set -euo pipefail
total="" out="" slices=4 login=":" bin="talking-head" fps=25 video="" audio=""
while [ $# -gt 0 ]; do
  case "$1" in
    --total) total=$2; shift 2 ;;
    --output) out=$2; shift 2 ;;
    --slices) slices=$2; shift 2 ;;
    --sshlogin) login=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --fps) fps=$2; shift 2 ;;
    --video) video=$2; shift 2 ;;
    --audio) audio=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "render_parallel: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
[ -n "$total" ] && [ -n "$out" ] && [ $# -gt 0 ] || { echo "render_parallel: needs --total FRAMES --output DIR -- COMMAND-ARGS" >&2; exit 2; }
command -v parallel >/dev/null || { echo "render_parallel: GNU parallel is missing (apt-get install parallel)" >&2; exit 1; }
mkdir -p "$out"
per=$(( (total + slices - 1) / slices ))
ranges=()
for ((k = 0; k < slices; k++)); do
  s=$((k * per)); e=$(((k + 1) * per)); [ $s -ge "$total" ] && break
  ranges+=("$s:$e")
done
# One job per slice; --halt: the first failing slice stops the others.
printf '%s\n' "${ranges[@]}" | parallel --halt now,fail=1 --sshlogin "$login" --jobs 1 \
  "$bin" "$@" --fps "$fps" -q --frames {} --output "$out/slice_{#}"
join=("$bin" join "$out"/slice_* --output "$out" --fps "$fps")
[ -n "$video" ] && join+=(--video "$video" --audio "$audio")
"${join[@]}"
