"""Live figures of `talking-head serve` on loopback (Benchmarks/RESULTS.md, issue 15 item 4).

    python3 Benchmarks/server_load.py BINARY WEIGHTS_DIR CHARACTER_PNG [--seconds 60] [--viewers 20] [--rate 50]

1. launch to the first rendered frame (a viewer connects as soon as the port answers);
2. the engine alone: POST /api/pose x8 with no viewer (talking_head_pose_request_seconds);
3. one viewer, talking, 20 s: frames rendered per second by the loop, parts received per second;
4. set_emotion -> the first frame posed after it, published (talking_head_emotion_latency_seconds) x6;
5. idle CPU with no viewer (/proc/PID/stat over 10 s);
6. load: VIEWERS feed viewers and RATE control requests per second for SECONDS: errors, peak RSS
   (VmHWM), render rate, parts per viewer.
Everything on 127.0.0.1, bounded in time. Prints a Markdown summary.
"""
import argparse
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Server"))
from serverproc import HOST, Feed, Server, metric  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("binary")
ap.add_argument("weights")
ap.add_argument("character")
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--viewers", type=int, default=20)
ap.add_argument("--rate", type=float, default=50)
args = ap.parse_args()
MARK = b"--frame\r\nContent-Type: image/png"


class CountingViewer(threading.Thread):
    """Reads the feed as fast as it can, counting part headers (no decoding: cheap on the client)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.parts, self.error, self.stop = port, 0, None, False

    def run(self):
        try:
            s = socket.create_connection((HOST, self.port), timeout=30)
            s.sendall(b"GET /api/talkinghead/result_feed HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            tail = b""
            while not self.stop:
                data = s.recv(1 << 20)
                if not data:
                    self.error = "closed by the server"
                    break
                chunk = tail + data
                self.parts += chunk.count(MARK)
                tail = chunk[-(len(MARK) - 1):]
            s.close()
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)


def metrics(srv):
    return srv.request("GET", "/metrics")[2].decode()


def main():
    out = {}
    srv = Server(args.binary, args.weights, image=args.character)
    t0 = srv.started
    feed = Feed(srv)
    while srv.json("GET", "/api/state")[1]["frames_rendered"] < 1:
        time.sleep(0.01)
    out["first_frame_s"] = time.monotonic() - t0
    out["listening_s"] = srv.listening_after
    feed.close()
    time.sleep(1)

    for _ in range(8):
        srv.request("POST", "/api/pose", {"params": {"head_x": random.uniform(-1, 1)}})
    m = metrics(srv)
    out["pose_request_s"] = metric(m, "talking_head_pose_request_seconds_sum") / metric(m, "talking_head_pose_request_seconds_count")

    srv.request("GET", "/api/talkinghead/start_talking")
    viewer = CountingViewer(srv.port)
    viewer.start()
    time.sleep(3)
    m0, p0, t = metrics(srv), viewer.parts, time.monotonic()
    time.sleep(20)
    m1, p1, dt = metrics(srv), viewer.parts, time.monotonic() - t
    rendered = metric(m1, "talking_head_frames_rendered_total") - metric(m0, "talking_head_frames_rendered_total")
    out["loop_fps"] = rendered / dt
    out["loop_pose_s"] = ((metric(m1, "talking_head_render_seconds_sum") - metric(m0, "talking_head_render_seconds_sum")) / rendered)
    out["viewer_parts_per_s"] = (p1 - p0) / dt
    srv.request("GET", "/api/talkinghead/stop_talking")

    latencies = []
    for emotion in ("joy", "anger", "surprise", "sadness", "curiosity", "neutral"):
        before = metrics(srv)
        srv.request("POST", "/api/talkinghead/set_emotion", {"emotion_name": emotion})
        n0 = metric(before, "talking_head_frames_rendered_total")
        while metric(metrics(srv), "talking_head_frames_rendered_total") < n0 + 2:
            time.sleep(0.02)
        latencies.append(metric(metrics(srv), "talking_head_emotion_latency_seconds"))
        time.sleep(random.uniform(0.3, 0.9))  # land anywhere in a frame
    out["emotion_latency_s"] = latencies
    viewer.stop = True
    viewer.join(5)

    time.sleep(2)
    c0, t = srv.cpu_seconds(), time.monotonic()
    time.sleep(10)
    out["idle_cpu_percent"] = 100 * (srv.cpu_seconds() - c0) / (time.monotonic() - t)

    # The load run.
    viewers = [CountingViewer(srv.port) for _ in range(args.viewers)]
    for v in viewers:
        v.start()
    time.sleep(2)
    errors, requests = [], 0
    calls = [
        ("POST", "/api/talkinghead/set_emotion", lambda: {"emotion_name": random.choice(["joy", "anger", "fear", "neutral", "love"])}),
        ("GET", "/api/talkinghead/start_talking", None),
        ("GET", "/api/talkinghead/stop_talking", None),
        ("POST", "/api/overrides", lambda: {"iris_rotation_x": round(random.uniform(-1, 1), 2)}),
        ("GET", "/api/state", None),
        ("GET", "/metrics", None),
    ]
    m0, parts0 = metrics(srv), [v.parts for v in viewers]
    start = time.monotonic()
    next_at = start
    peak = 0
    while time.monotonic() - start < args.seconds:
        method, path, body = calls[requests % len(calls)]
        try:
            status, _, _ = srv.request(method, path, body() if body else None, timeout=10)
            if status >= 400:
                errors.append("%s %s: %d" % (method, path, status))
        except Exception as e:  # noqa: BLE001
            errors.append("%s %s: %r" % (method, path, e))
        requests += 1
        if requests % 50 == 0:
            peak = max(peak, srv.peak_rss_mb())
        next_at += 1 / args.rate
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    dt = time.monotonic() - start
    m1 = metrics(srv)
    per_viewer = [(v.parts - p) / dt for v, p in zip(viewers, parts0)]
    for v in viewers:
        v.stop = True
    viewer_errors = [v.error for v in viewers if v.error]
    out["load"] = {
        "seconds": dt, "requests": requests, "request_rate": requests / dt, "errors": errors[:10], "error_count": len(errors),
        "viewer_errors": viewer_errors, "render_fps": (metric(m1, "talking_head_frames_rendered_total") - metric(m0, "talking_head_frames_rendered_total")) / dt,
        "parts_per_viewer_min": min(per_viewer), "parts_per_viewer_mean": sum(per_viewer) / len(per_viewer),
        "parts_per_viewer_max": max(per_viewer), "peak_rss_mb": max(peak, srv.peak_rss_mb()),
    }
    status, seconds = srv.stop()
    out["sigterm_exit"] = (status, seconds)
    return out


r = main()
L = r["load"]
print("""
| figure | value |
|---|---|
| launch -> listening / first rendered frame | %.2f s / %.2f s |
| engine alone, POST /api/pose (no viewer) | %.3f s per pose (%.2f poses/s) |
| render loop, 1 viewer, talking, 20 s | %.2f frames/s (engine %.3f s per frame in the loop); loop period vs one-shot pose: %+.1f%% |
| parts received by that viewer (--fps 25) | %.1f per s |
| set_emotion -> first frame posed after it, published (6 tries) | mean %.2f s, max %.2f s |
| idle CPU (no viewer, 10 s) | %.2f%% of one core |
| load: %d viewers + %.0f requests/s for %.0f s | %d requests, %d errors, viewer errors: %d |
| load: render rate / peak RSS | %.2f frames/s / %.0f MB |
| load: parts per viewer per s | min %.1f, mean %.1f, max %.1f |
| SIGTERM with %d viewers open | exit %s in %.2f s |
""" % (r["listening_s"], r["first_frame_s"], r["pose_request_s"], 1 / r["pose_request_s"],
       r["loop_fps"], r["loop_pose_s"], 100 * ((1 / r["loop_fps"]) / r["pose_request_s"] - 1),
       r["viewer_parts_per_s"], sum(r["emotion_latency_s"]) / len(r["emotion_latency_s"]), max(r["emotion_latency_s"]),
       r["idle_cpu_percent"], args.viewers, args.rate, L["seconds"], L["requests"], L["error_count"], len(L["viewer_errors"]),
       L["render_fps"], L["peak_rss_mb"], L["parts_per_viewer_min"], L["parts_per_viewer_mean"], L["parts_per_viewer_max"],
       args.viewers, r["sigterm_exit"][0], r["sigterm_exit"][1]))
if L["errors"] or L["viewer_errors"]:
    print("errors:", L["errors"], L["viewer_errors"])
