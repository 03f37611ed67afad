"""TalkingHead against the upstream reference in one run, on the same poses and image, with the
same thread count; prints JSON and a Markdown table for Benchmarks/RESULTS.md.

    .venv-ref/bin/python Benchmarks/side_by_side.py [--poses 20] [--threads 2] [--out bench-out]
        [--max-vector-level avx2|avx512|portable]

Run through Benchmarks/run_side_by_side.sh, which installs what this needs. Measures:
- time per pose (median and spread; all 45 parameters random and different every pose; the
  eyebrow decomposer cached on both sides), per network and (TalkingHead) per kernel kind; the
  engines take turns (`--rounds`, default 3: TalkingHead, reference, TalkingHead, ...) and
  each one's times are pooled over its rounds, so a noisy spell of the VM falls on all of
  them instead of on whichever ran during it;
- the same with 1 thread (both sides pinned to one core with `taskset`, on the first half of the poses);
- `talking-head animate` over 100 frames with 1 and 2 frames in flight (`--jobs`): frames per
  second and peak resident memory;
- process start to first frame written (`talking-head pose`), median of 3;
- the reference's peak memory.
"""
import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "Benchmarks/.build/release/TalkingHeadBenchmarks")
CLI = os.path.join(ROOT, ".build/release/talking-head")
NAMES_RANGES = None


def parameters():
    """(name, low, high) of the 45 parameters, from `talking-head params`."""
    out = subprocess.run([CLI, "params"], check=True, capture_output=True, text=True).stdout.splitlines()[1:]
    result = []
    for line in out:
        f = line.split()
        low, high = (float(x) for x in f[3].split(".."))
        result.append((f[1], low, high))
    assert len(result) == 45, result
    return result


def pinned(cmd, threads):
    """cmd on one core (taskset) when threads is 1, so that no library can use a second one."""
    return (["taskset", "-c", "0"] + cmd) if threads == 1 and shutil.which("taskset") else cmd


def run_child(cmd, env=None):
    """Runs cmd; returns (seconds, peak RSS in MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t
    if status != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), status, err.decode()[-2000:]))
    return seconds, usage.ru_maxrss / 1024, out.decode()


LEVELS = ["portable", "avx2", "avx512"]


def cpu_info():
    """The CPU's model name and the widest vector level TalkingHead's kernels have for it."""
    fields = {}
    for line in open("/proc/cpuinfo"):
        if not line.strip():
            break  # the first processor's fields
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    cpu = "%s (family %s model %s)" % (fields.get("model name", "unknown"), fields.get("cpu family", "?"), fields.get("model", "?"))
    flags = " " + fields.get("flags", "") + " "
    level = "avx512" if " avx512f" in flags else ("avx2" if " avx2" in flags and " fma" in flags else "portable")
    return cpu, level


def machine():
    cpu, level = cpu_info()
    isa = {"avx512": "AVX-512", "avx2": "AVX2", "portable": "SSE"}[level]
    mem = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
    return "%s (%s), %d cores, %.0f GB, %s" % (cpu, isa, os.cpu_count(), mem, platform.platform())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--poses", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--image", default=os.path.join(ROOT, "Weights/samples/lambda_00.png"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-vector-level", choices=LEVELS,
                    help="cap TalkingHead's vector loops (TALKING_HEAD_MAX_VECTOR_LEVEL), e.g. avx2 on an AVX-512 CPU")
    a = ap.parse_args()
    cpu, cpu_level = cpu_info()
    used = min(a.max_vector_level or cpu_level, cpu_level, key=LEVELS.index)
    # TalkingHead's processes (benchmark and CLI) run at `used`; the reference is not capped.
    level_env = dict(os.environ, TALKING_HEAD_MAX_VECTOR_LEVEL=used)
    os.makedirs(a.out, exist_ok=True)
    params = parameters()
    rng = random.Random(20261122)
    poses = [[rng.uniform(lo, hi) for _, lo, hi in params] for _ in range(a.poses)]
    poses_json = os.path.join(a.out, "poses.json")
    json.dump({"names": [n for n, _, _ in params], "poses": poses}, open(poses_json, "w"))
    weights = os.path.join(ROOT, "Weights")
    result = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "cpu_model": cpu, "cpu_vector_level": cpu_level, "vector_level_used": used}

    def swift(threads, n=None):
        env = dict(level_env, TALKING_HEAD_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
        path = os.path.join(a.out, "swift-%d.json" % threads)
        p = poses_json
        if n is not None:
            p = os.path.join(a.out, "poses-%d.json" % n)
            json.dump({"poses": poses[:n]}, open(p, "w"))
        run_child(pinned([BENCH, "--pipeline", weights, "--image", a.image, "--poses", p, "--json", path], threads), env)
        return json.load(open(path))

    def reference(threads, onnx, n=None):
        path = os.path.join(a.out, "reference-%d.json" % threads)
        p = poses_json
        if n is not None:
            p = os.path.join(a.out, "poses-%d.json" % n)
        cmd = [sys.executable, os.path.join(ROOT, "Benchmarks/reference_bench.py"), "--poses", p,
               "--image", a.image, "--threads", str(threads), "--json", path]
        if onnx:
            cmd += ["--onnx-dir", os.path.join(a.out, "onnx")]
        run_child(pinned(cmd, threads))
        return json.load(open(path))

    swift_rounds, reference_rounds = [], []
    for k in range(a.rounds):
        print("round %d: TalkingHead, %d threads, %d poses ..." % (k + 1, a.threads, a.poses), file=sys.stderr)
        swift_rounds.append(swift(a.threads))
        print("round %d: reference, %d threads ..." % (k + 1, a.threads), file=sys.stderr)
        reference_rounds.append(reference(a.threads, not a.no_onnx))
    result["swift"] = pooled(swift_rounds, lambda r: r)
    result["reference"] = dict(reference_rounds[0])
    for engine in ("pytorch", "onnxruntime"):
        if engine in reference_rounds[0]:
            result["reference"][engine] = pooled(reference_rounds, lambda r: r[engine])
    result["reference"]["peak_rss_mb"] = max(r["peak_rss_mb"] for r in reference_rounds)
    result["rounds"] = {"swift": [r["pose"]["median"] for r in swift_rounds],
                        "pytorch": [r["pytorch"]["pose"]["median"] for r in reference_rounds],
                        "onnxruntime": [r["onnxruntime"]["pose"]["median"] for r in reference_rounds if "onnxruntime" in r]}
    print("1 thread ...", file=sys.stderr)
    n1 = max(3, a.poses // 2)
    result["swift_1_thread"] = swift(1, n1)
    result["reference_1_thread"] = reference(1, False, n1)

    # animate over 100 frames: fps and peak memory; start to first frame.
    csv = os.path.join(a.out, "poses-100.csv")
    with open(csv, "w") as f:
        f.write(",".join(n for n, _, _ in params) + "\n")
        for k in range(100):
            f.write(",".join("%.5f" % v for v in poses[k % len(poses)]) + "\n")
    for jobs in (1, 2):
        seconds, rss, _ = run_child([CLI, "animate", a.image, csv, "-o", os.path.join(a.out, "animate"),
                                     "--weights", weights, "--quiet", "--jobs", str(jobs)], level_env)
        result["animate_100" if jobs == 1 else "animate_100_jobs_2"] = {"seconds": seconds, "fps": 100 / seconds, "peak_rss_mb": rss}
    starts = []
    for k in range(3):
        s, _, _ = run_child([CLI, "pose", a.image, "-o", os.path.join(a.out, "first.png"), "--weights", weights,
                             "--set", "head_x=0.5", "--set", "mouth_aaa=%.1f" % (0.3 * k)], level_env)
        starts.append(s)
    result["start_to_first_frame_seconds"] = sorted(starts)[1]

    json.dump(result, open(os.path.join(a.out, "side_by_side.json"), "w"), indent=1)
    print(json.dumps(result, indent=1))
    print(table(result, a))


def summary(xs):
    xs = sorted(xs)
    return {"median": xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2,
            "min": xs[0], "max": xs[-1], "n": len(xs)}


def pooled(rounds, part):
    """One engine's results over several rounds: pose times pooled (summary of all of them),
    networks and kernel kinds as the median of the rounds' medians."""
    first = dict(part(rounds[0]))
    first["pose"] = summary([t for r in rounds for t in part(r)["pose_seconds"]])
    first["pose_seconds"] = [t for r in rounds for t in part(r)["pose_seconds"]]
    for group in ("networks", "kernels"):
        if group in first:
            first[group] = {k: {"median": summary([part(r)[group][k]["median"] for r in rounds if k in part(r)[group]])["median"]}
                            for k in first[group]}
    return first


def table(r, a):
    s, ref = r["swift"], r["reference"]
    med = s["pose"]["median"]
    lines = ["Machine: %s. %s." % (r["machine"], r["date"]),
             "CPU %s, vector level %s; TalkingHead ran at %s%s." % (
                 r["cpu_model"], r["cpu_vector_level"], r["vector_level_used"],
                 " (capped by --max-vector-level)" if r["vector_level_used"] != r["cpu_vector_level"] else ""), "",
             "| what (%d poses x %d rounds taken in turn, all 45 parameters random, %d threads) | median | min-max | vs TalkingHead |"
             % (a.poses, a.rounds, a.threads),
             "| --- | --- | --- | --- |"]

    def row(label, x):
        lines.append("| %s | %.3f s | %.3f-%.3f s | %.2fx |" % (label, x["median"], x["min"], x["max"], x["median"] / med))
    row("TalkingHead, one pose (public API, image in and out)", s["pose"])
    row("upstream PyTorch %s" % ref["torch"], ref["pytorch"]["pose"])
    if "onnxruntime" in ref:
        row("ONNX Runtime %s (same networks exported)" % ref["onnxruntime"]["version"], ref["onnxruntime"]["pose"])
    lines += ["", "| network | TalkingHead | PyTorch | ONNX Runtime |", "| --- | --- | --- | --- |"]
    names = {"eyebrow_morphing_combiner": "network: eyebrow morphing combiner", "face_morpher": "network: face morpher",
             "two_algo_face_body_rotator": "network: face-body rotator", "editor": "network: editor"}
    for py, sw in names.items():
        o = ref.get("onnxruntime", {}).get("networks", {}).get(py, {}).get("median")
        lines.append("| %s | %.3f s | %.3f s | %s |" % (py, s["networks"][sw]["median"], ref["pytorch"]["networks"][py]["median"],
                                                     "%.3f s" % o if o else "-"))
    lines += ["", "| kernel kind (TalkingHead, per pose) | median |", "| --- | --- |"]
    for k, v in sorted(s["kernels"].items(), key=lambda kv: -kv[1]["median"]):
        lines.append("| %s | %.1f ms |" % (k, v["median"] * 1000))
    s1, r1 = r["swift_1_thread"], r["reference_1_thread"]
    lines += ["", "| threads | TalkingHead | PyTorch |", "| --- | --- | --- |",
              "| 1 (taskset, first %d poses) | %.3f s | %.3f s |" % (s1["poses"], s1["pose"]["median"], r1["pytorch"]["pose"]["median"]),
              "| %d | %.3f s | %.3f s |" % (a.threads, med, ref["pytorch"]["pose"]["median"])]
    an, an2 = r["animate_100"], r["animate_100_jobs_2"]
    lines += ["", "| other | TalkingHead | reference |", "| --- | --- | --- |",
              "| `animate`, 100 frames, 1 frame in flight: frames per second | %.2f | - |" % an["fps"],
              "| `animate`, 100 frames, 1 frame in flight: peak resident memory | %.0f MB | %.0f MB (PyTorch + ONNX Runtime process) |" % (an["peak_rss_mb"], ref["peak_rss_mb"]),
              "| `animate --jobs 2`, 100 frames, 2 frames in flight: frames per second | %.2f | - |" % an2["fps"],
              "| `animate --jobs 2`, 100 frames: peak resident memory | %.0f MB | - |" % an2["peak_rss_mb"],
              "| process start to first frame written (`talking-head pose`) | %.2f s | - |" % r["start_to_first_frame_seconds"],
              "| first pose incl. eyebrow decomposer (in process) | %.2f s | - |" % s["first_pose_seconds"]]
    rounds = r["rounds"]
    lines.append("\nMedian per round, in the order run: TalkingHead %s; PyTorch %s; ONNX Runtime %s." % tuple(
        ", ".join("%.3f s" % x for x in rounds[k]) or "-" for k in ("swift", "pytorch", "onnxruntime")))
    if "onnx_max_abs_vs_pytorch" in ref:
        lines.append("\nONNX Runtime output vs PyTorch: max abs %.2e." % ref["onnx_max_abs_vs_pytorch"])
    return "\n".join(lines)


if __name__ == "__main__":
    main()
