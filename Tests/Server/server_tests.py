"""The live server as a real process on a free loopback port, driven by real HTTP clients:
SillyTavern's request sequence with the feed read, our API, bad input, the API key, a stalled
viewer, idle CPU and a clean SIGTERM/SIGINT. Ends with `server tests: N passed, N failed`.

    python3 Tests/Server/server_tests.py BINARY WEIGHTS_DIR CHARACTER_PNG
"""
import hashlib
import json
import os
import signal
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverproc import Feed, Server, check_png, make_png, metric, wait_for  # noqa: E402

BINARY, WEIGHTS, CHARACTER = sys.argv[1:4]
DEADLINE = time.monotonic() + float(os.environ.get("SERVER_TESTS_TIMEOUT", "420"))
results = []


def test(fn):
    if time.monotonic() > DEADLINE:
        results.append((fn.__name__, "skipped: the run's time bound was reached"))
        print("FAIL %s: time bound reached" % fn.__name__, flush=True)
        return fn
    t = time.monotonic()
    try:
        fn()
        results.append((fn.__name__, None))
        print("ok   %s (%.1f s)" % (fn.__name__, time.monotonic() - t), flush=True)
    except Exception:
        results.append((fn.__name__, traceback.format_exc()))
        print("FAIL %s\n%s" % (fn.__name__, traceback.format_exc()), flush=True)
    return fn


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


with open(CHARACTER, "rb") as f:
    CHARACTER_PNG = f.read()

srv = Server(BINARY, WEIGHTS)
print("server pid %d on port %d, listening %.2f s after launch" % (srv.pid, srv.port, srv.listening_after), flush=True)


@test
def sillytavern_replay():
    """The expressions extension's sequence: load, {} templates, {} settings, emotions, talking."""
    status, headers, body = srv.request("GET", "/api/modules", headers={"Origin": "http://127.0.0.1:8000"})
    expect(status == 200 and json.loads(body) == {"modules": ["talkinghead"]}, "modules: %r" % body)
    expect(headers.get("access-control-allow-origin") == "*", "no CORS header")
    status, _, body = srv.upload(CHARACTER_PNG)
    expect((status, body) == (200, b"OK"), "load: %d %r" % (status, body))
    for path in ("load_emotion_templates", "load_animator_settings"):
        status, _, body = srv.request("POST", "/api/talkinghead/" + path, {})
        expect((status, body) == (200, b"OK"), "%s: %d %r" % (path, status, body))
    feed = Feed(srv)
    try:
        expect(feed.status == 200, "feed status %d" % feed.status)
        expect(feed.headers.get("content-type") == "multipart/x-mixed-replace; boundary=frame",
               "feed content type %r" % feed.headers.get("content-type"))
        first = time.monotonic()
        hashes = []
        for _ in range(3):
            png = feed.part()
            check_png(png)
            hashes.append(hashlib.sha1(png).hexdigest())
        print("     first part %.2f s after connecting" % (time.monotonic() - first))
        for emotion, reply in (("joy", b"emotion set to joy"), ("curiosity", b"emotion set to curiosity"),
                               ("not-an-emotion", b"emotion set to neutral")):
            status, _, body = srv.request("POST", "/api/talkinghead/set_emotion", {"emotion_name": emotion})
            expect((status, body) == (200, reply), "set_emotion %s: %d %r" % (emotion, status, body))
            expect(srv.json("GET", "/api/state")[1]["emotion"] == body.decode().split()[-1], "state does not follow")
        status, _, body = srv.request("GET", "/api/talkinghead/start_talking")
        expect(body == b"talking started", "start_talking: %r" % body)
        mouths = []
        t_end = time.monotonic() + 6
        parts = 0
        while time.monotonic() < t_end:
            png = feed.part()
            parts += 1
            if parts % 5 == 0:
                check_png(png)
            hashes.append(hashlib.sha1(png).hexdigest())
            mouths.append(srv.json("GET", "/api/state")[1]["pose"]["mouth_aaa"])
        status, _, body = srv.request("GET", "/api/talkinghead/stop_talking")
        expect(body == b"talking stopped", "stop_talking: %r" % body)
        distinct = len(set(hashes))
        print("     %d parts in 6 s, %d distinct frames; mouth_aaa seen %s" % (parts, distinct, sorted(set(round(m, 2) for m in mouths))[:8]))
        expect(parts >= 6 * 25 * 0.6, "only %d parts in 6 s at --fps 25" % parts)
        expect(distinct >= 4, "the feed does not change (%d distinct frames)" % distinct)
        expect(max(mouths) > 0.2 and min(mouths) < max(mouths), "the mouth does not move while talking: %r" % mouths)
        status, _, body = srv.request("GET", "/api/talkinghead/unload")
        expect(body == b"animation paused", "unload: %r" % body)
        expect(srv.json("GET", "/api/state")[1]["paused"] is True, "not paused")
        png = feed.part()  # still fed (the last frame again)
        check_png(png)
        status, _, body = srv.upload(CHARACTER_PNG)
        expect(srv.json("GET", "/api/state")[1]["paused"] is False, "load did not resume")
    finally:
        feed.close()


@test
def own_api():
    status, body = srv.json("GET", "/api/params")
    expect(status == 200 and len(body["params"]) == 45, "params")
    expect({p["group"] for p in body["params"]} >= {"eyebrow", "mouth", "face_rotation"}, "groups")
    status, body = srv.json("GET", "/api/emotions")
    expect(len(body["emotions"]) == 28 and "joy" in body["emotions"], "emotions %r" % body)
    status, body = srv.json("POST", "/api/emotion", {"emotion": "sadness"})
    expect(status == 200 and srv.json("GET", "/api/state")[1]["emotion"] == "sadness", "emotion")
    status, body = srv.json("POST", "/api/talking", {"talking": True})
    expect(body == {"talking": True}, "talking %r" % body)
    srv.json("POST", "/api/talking", {"talking": False})
    status, body = srv.json("POST", "/api/overrides", {"head_x": 0.8, "mouth_ooo": 0.5})
    expect(status == 200 and body["overrides"] == {"head_x": 0.8, "mouth_ooo": 0.5}, "overrides %r" % body)
    feed = Feed(srv)
    try:
        # The pinned values show in rendered frames (the state's pose is the last frame's).
        wait_for(lambda: abs(srv.json("GET", "/api/state")[1]["pose"]["head_x"] - 0.8) < 1e-6, 20, "head_x pinned in a frame")
    finally:
        feed.close()
    status, body = srv.json("POST", "/api/overrides", {"head_x": None})
    expect(body["overrides"] == {"mouth_ooo": 0.5}, "release %r" % body)
    srv.request("DELETE", "/api/overrides")
    status, headers, png = srv.request("POST", "/api/pose", {"params": {"head_x": -1, "eye_wink_left": 1}})
    expect(status == 200 and headers["content-type"] == "image/png", "pose %d" % status)
    check_png(png)
    status, _, body = srv.request("GET", "/healthz")
    expect(body == b"ok", "healthz")
    status, headers, body = srv.request("GET", "/metrics")
    text = body.decode()
    expect(metric(text, "talking_head_frames_rendered_total") > 0, "metrics: no frames rendered\n" + text)
    expect(metric(text, "talking_head_frames_sent_total") > 0, "metrics: no frames sent")
    expect("# TYPE talking_head_viewers gauge" in text, "metrics format")
    for page in ("/", "/obs"):
        status, headers, body = srv.request("GET", page)
        expect(status == 200 and headers["content-type"].startswith("text/html") and b"result_feed" in body, page)


@test
def speech_endpoints():
    import urllib.parse
    srv.json("POST", "/api/talking", {"talking": False})
    srv.request("DELETE", "/api/overrides")
    srv.json("POST", "/api/emotion", {"emotion": "neutral"})
    text = urllib.parse.quote("Hello there, how are you today? I am fine, thank you very much.")
    vowels = ("mouth_aaa", "mouth_iii", "mouth_uuu", "mouth_eee", "mouth_ooo")

    def openness(state):
        return max(state["pose"][k] for k in vowels)
    feed = Feed(srv)
    try:
        # A frame rendered without speech shows the neutral mouth closed first.
        wait_for(lambda: openness(srv.json("GET", "/api/state")[1]) < 0.05, 20, "a closed mouth before speaking")
        rendered = srv.json("GET", "/api/state")[1]["frames_rendered"]
        status, headers, wav = srv.request("GET", "/api/speech/say?text=%s&voice=en-us" % text)
        expect(status == 200 and headers["content-type"] == "audio/wav", "say: %d %r" % (status, wav[:200]))
        expect(wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and len(wav) > 20000, "say: not a WAV of speech (%d bytes)" % len(wav))

        def mouth_open():
            state = srv.json("GET", "/api/state")[1]
            return state["frames_rendered"] > rendered and openness(state) > 0.2
        wait_for(mouth_open, 20, "the mouth to open in a frame rendered while the speech plays")
        status, body = srv.json("POST", "/api/speech", wav)
        expect(status == 200 and body["duration"] > 2 and body["frames"] > 200, "speech upload: %d %r" % (status, body))
    finally:
        feed.close()
    for path, body, want in [("/api/speech", b"", "empty"), ("/api/speech", b"RIFF\x00\x00not audio at all" * 10, "POST /api/speech"),
                             ("/api/speech/say", None, "'text'"), ("/api/speech/say?text=hi&voice=xx-nonexistent", None, "voice")]:
        method = "GET" if body is None else "POST"
        status, reply = srv.json(method, path, body)
        expect(status == 400 and want in reply["error"], "%s %s: %d %r" % (method, path, status, reply))
    status, _, body = srv.request("GET", "/healthz")
    expect(status == 200 and body == b"ok", "still serving after bad speech input")


@test
def bad_input_keeps_serving():
    rendered_before = srv.json("GET", "/api/state")[1]["frames_rendered"]
    cases = [
        ("POST", "/api/talkinghead/load", "upload", b"this is not a PNG", 400, "not a readable PNG"),
        ("POST", "/api/talkinghead/load", "upload", make_png(64, 64, rgba=False), 400, "no alpha channel"),
        ("POST", "/api/talkinghead/load", "upload", make_png(5000, 8), 400, "5000x8"),
        ("POST", "/api/talkinghead/load", "raw", b"\0" * (21 << 20), 413, "limit"),
        ("POST", "/api/overrides", "raw", b"{\"head_x\": 0.3", 400, "malformed JSON"),
        ("POST", "/api/overrides", "json", {"head_z": 0.3}, 400, "head_z"),
        ("POST", "/api/overrides", "json", {"head_x": 3}, 400, "head_x"),
        ("POST", "/api/overrides", "raw", b"{\"mouth_aaa\": 1e999}", 400, "mouth_aaa"),
        ("POST", "/api/overrides", "json", {"mouth_aaa": "wide"}, 400, "mouth_aaa"),
        ("POST", "/api/pose", "json", {"params": {"breathing": -2}}, 400, "breathing"),
        ("POST", "/api/emotion", "json", {"emotion": "ennui"}, 400, "ennui"),
        ("POST", "/api/talkinghead/load_emotion_templates", "json", {"joy": {"eye_blink": 1}}, 400, "eye_blink"),
        ("POST", "/api/talkinghead/load_animator_settings", "json", {"breathing_period": "slow"}, 400, "breathing_period"),
        ("GET", "/api/no-such-endpoint", "none", None, 404, ""),
    ]
    for method, path, kind, body, want, named in cases:
        if kind == "upload":
            status, _, data = srv.upload(body)
        elif kind == "raw":
            status, _, data = srv.request(method, path, body, {"Content-Type": "application/json"})
        else:
            status, _, data = srv.request(method, path, body)
        message = data.decode(errors="replace")
        expect(status == want, "%s %s (%s): status %d, want %d: %s" % (method, path, named, status, want, message[:200]))
        if named:
            expect(named in json.loads(data)["error"], "%s: the error does not name %r: %s" % (path, named, message))
    expect(srv.request("GET", "/healthz")[2] == b"ok", "not serving after bad input")
    state = srv.json("GET", "/api/state")[1]
    expect(state["character_loaded"] and not state["paused"], "the character was lost: %r" % state)
    feed = Feed(srv)
    try:
        check_png(feed.part())
        wait_for(lambda: srv.json("GET", "/api/state")[1]["frames_rendered"] > rendered_before + 2, 30,
                 "the previous character to keep animating")
    finally:
        feed.close()


@test
def stalled_viewer_does_not_slow_others():
    stalled = Feed(srv)  # never read after its headers: its socket buffers fill up
    try:
        fast = Feed(srv)
        try:
            fast.part()
            t, n = time.monotonic(), 0
            while time.monotonic() - t < 5:
                fast.part()
                n += 1
            rate = n / (time.monotonic() - t)
            print("     a reading viewer got %.1f parts/s beside a stalled one" % rate)
            expect(rate > 25 * 0.6, "the reading viewer got only %.1f parts/s" % rate)
        finally:
            fast.close()
    finally:
        stalled.close()
    wait_for(lambda: srv.json("GET", "/api/state")[1]["viewers"] == 0, 10, "closed viewers to be dropped")


@test
def idle_cpu_near_zero():
    wait_for(lambda: srv.json("GET", "/api/state")[1]["viewers"] == 0, 10, "no viewers")
    time.sleep(1.0)  # the frame in progress ends
    c0, t0 = srv.cpu_seconds(), time.monotonic()
    time.sleep(4.0)
    share = (srv.cpu_seconds() - c0) / (time.monotonic() - t0)
    print("     idle CPU %.2f%% of one core" % (share * 100))
    expect(share < 0.02, "idle CPU %.1f%%" % (share * 100))


@test
def sigterm_with_a_viewer_open():
    feed = Feed(srv)
    feed.part()
    status, seconds = srv.stop(signal.SIGTERM)
    feed.close()
    print("     exit %s %.2f s after SIGTERM" % (status, seconds))
    expect(status == 0, "exit status %r after SIGTERM" % status)
    expect(seconds < 8, "took %.1f s to stop" % seconds)


keyed = Server(BINARY, WEIGHTS, image=CHARACTER, api_key="k3y-for-tests")


@test
def api_key():
    status, _, _ = keyed.request("GET", "/healthz", auth=False)
    expect(status == 200, "healthz needs no key")
    for method, path in (("GET", "/api/state"), ("GET", "/api/modules"), ("GET", "/"), ("GET", "/metrics"),
                         ("GET", "/api/talkinghead/start_talking"), ("GET", "/api/talkinghead/result_feed")):
        status, headers, _ = keyed.request(method, path, auth=False, timeout=10)
        expect(status == 401, "%s without a key: %d" % (path, status))
    status, _, body = keyed.request("GET", "/api/state", headers={"Authorization": "Bearer wrong"}, auth=False)
    expect(status == 401 and b"wrong API key" in body, "wrong key: %d" % status)
    expect(keyed.request("GET", "/api/state")[0] == 200, "Bearer key refused")
    expect(keyed.request("GET", "/?key=k3y-for-tests", auth=False)[0] == 200, "?key= refused for the page")
    expect(keyed.request("GET", "/api/state?key=k3y-for-tests", auth=False)[0] == 401, "?key= accepted on the API")
    feed = Feed(keyed, key="k3y-for-tests")
    try:
        expect(feed.status == 200, "feed with ?key=: %d" % feed.status)
        check_png(feed.part())
    finally:
        feed.close()


@test
def open_feed_with_a_key():
    """--open-feed: SillyTavern's <img> reads the feed without a key; the rest still needs it."""
    open_srv = Server(BINARY, WEIGHTS, image=CHARACTER, api_key="k3y", extra=("--open-feed",))
    try:
        feed = Feed(open_srv)
        try:
            expect(feed.status == 200, "open feed without a key: %d" % feed.status)
            check_png(feed.part())
        finally:
            feed.close()
        expect(open_srv.request("GET", "/api/state", auth=False)[0] == 401, "the API let through without a key")
    finally:
        status, _ = open_srv.stop()
    expect(status == 0, "exit status %r" % status)


@test
def sigint_stops():
    status, seconds = keyed.stop(signal.SIGINT)
    expect(status == 0, "exit status %r after SIGINT" % status)


@test
def warnings_and_bad_options():
    """No key on a non-loopback address: a warning (the socket is bound, no traffic leaves).
    A bad --image: a message naming the file and a non-zero exit, before listening."""
    import subprocess
    p = subprocess.Popen([BINARY, "serve", "--host", "0.0.0.0", "--port", "0", "--weights", WEIGHTS],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=15)
    expect("listening" in line, "did not start: %r" % line)
    expect("warning" in err and "--api-key" in err, "no warning: %r" % err)
    bad = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server_tests.py")
    r = subprocess.run([BINARY, "serve", "--port", "0", "--weights", WEIGHTS, "--image", bad],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode != 0 and "server_tests.py" in r.stderr and "listening" not in r.stdout,
           "bad --image: exit %d, %r" % (r.returncode, r.stderr))


for s in (srv, keyed):
    s.stop(signal.SIGKILL)
failed = [name for name, error in results if error]
print("server tests: %d passed, %d failed%s" % (len(results) - len(failed), len(failed),
                                                 (" (" + ", ".join(failed) + ")") if failed else ""))
sys.exit(1 if failed else 0)
