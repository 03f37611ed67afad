"""Face capture into a running `talking-head serve` (issue 17): iFacialMocap, VMC and OpenSeeFace
datagrams sent to its UDP listeners on 127.0.0.1; /api/state and /metrics count them (bad ones
dropped, the server keeps serving) and, with a viewer on the feed, the rendered pose follows the
captured head and eye. The phone side of iFacialMocap is a socket on 127.0.0.1:49983 that must
receive the start string.

    python3 Tests/Server/capture_server_test.py BINARY WEIGHTS_DIR CHARACTER_PNG
"""
import json
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from serverproc import HOST, Feed, Server  # noqa: E402

PASS = FAIL = 0


def expect(cond, what):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok   " + what)
    else:
        FAIL += 1
        print("FAIL " + what)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pad(b):
    b += b"\0"
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def osc(addr, tags, *args):
    out = pad(addr.encode()) + pad(tags.encode())
    for t, a in zip(tags[1:], args):
        out += pad(a.encode()) if t == "s" else struct.pack(">f", a)
    return out


def bundle(*ms):
    return pad(b"#bundle") + struct.pack(">Q", 1) + b"".join(struct.pack(">i", len(m)) + m for m in ms)


def openseeface(eye_left):
    rec = bytearray(1785)
    struct.pack_into("<dii", rec, 0, time.time(), 0, 0)
    struct.pack_into("<ffff", rec, 12, 640, 480, 1, 1)
    rec[28] = 1
    struct.pack_into("<fff", rec, 49, -180, 0, 90)
    struct.pack_into("<14f", rec, 1785 - 56, eye_left, *([0] * 13))
    return bytes(rec)


def main():
    binary, weights, character = sys.argv[1:4]
    ports = {"ifacialmocap": free_udp_port(), "vmc": free_udp_port(), "openseeface": free_udp_port()}
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind((HOST, 49983))
    phone.settimeout(20)
    server = Server(binary, weights, image=character, extra=[
        "--ifacialmocap", HOST, "--ifacialmocap-port", str(ports["ifacialmocap"]),
        "--vmc", "--vmc-port", str(ports["vmc"]), "--openseeface", "--openseeface-port", str(ports["openseeface"]),
        "--capture-bind", HOST])
    try:
        start, _ = phone.recvfrom(4096)
        expect(start == b"iFacialMocap_sahuasouryya9218sauhuiayeta91555dy3719|sendDataVersion=v2",
               "the phone got iFacialMocap's start string: %r" % start[:40])
        good = {
            "ifacialmocap": b"eyeBlink_L&100|jawOpen&0|hapihapi&0|=head#0,10,0,0,0,0|rightEye#0,0,0|leftEye#0,0,0|",
            "vmc": bundle(osc("/VMC/Ext/Blend/Val", ",sf", "EyeBlinkLeft", 1.0), osc("/VMC/Ext/Blend/Apply", ",")),
            "openseeface": openseeface(-1.0),
        }
        bad = {"ifacialmocap": b"jawOpen&nan|", "vmc": b"\xff\x00\x01", "openseeface": b"\x00" * 100}
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for source, port in ports.items():
            sender.sendto(bad[source], (HOST, port))
            for _ in range(30):
                sender.sendto(good[source], (HOST, port))
                time.sleep(0.01)
            sender.sendto(bad[source], (HOST, port))
        time.sleep(0.5)
        status, state = server.json("GET", "/api/state")
        capture = {c["source"]: c for c in (state or {}).get("capture", [])}
        expect(status == 200 and set(capture) == set(ports), "/api/state lists the three listeners: %s" % sorted(capture))
        for source in ports:
            c = capture.get(source, {})
            expect(c.get("packetsAccepted") == 30 and c.get("packetsDropped") == 2 and c.get("posesDelivered") == 30
                   and c.get("port") == ports[source] and "lastError" in c,
                   "%s: 30 accepted, 2 dropped, 30 poses (%s)" % (source, json.dumps(c)[:200]))
            expect(state["inputs"].get(source) == 30, "%s counted as an input of /api/state: %s" % (source, state["inputs"]))
        status, _, metrics = server.request("GET", "/metrics")
        text = metrics.decode()
        expect(status == 200 and 'talking_head_capture_packets_total{source="vmc",result="dropped"} 2' in text
               and "# TYPE talking_head_capture_packets_total counter" in text,
               "/metrics has the capture counters")

        # With a viewer, the rendered pose follows a capture: head turned 10 degrees, left eye shut.
        feed = Feed(server)
        stop = threading.Event()

        def watch():
            try:
                while not stop.is_set():
                    feed.part()
            except Exception:
                pass
        threading.Thread(target=watch, daemon=True).start()
        deadline = time.monotonic() + 60
        pose = {}
        while time.monotonic() < deadline:
            sender.sendto(good["ifacialmocap"], (HOST, ports["ifacialmocap"]))
            time.sleep(0.05)
            status, state = server.json("GET", "/api/state")
            pose = state["pose"]
            if pose["head_y"] < -0.8 and pose["eye_wink_left"] > 0.8:
                break
        stop.set()
        expect(pose.get("head_y", 0) < -0.8 and pose.get("eye_wink_left", 0) > 0.8,
               "the rendered pose follows the capture: head_y %.3f, eye_wink_left %.3f"
               % (pose.get("head_y", 0), pose.get("eye_wink_left", 0)))
        status, _, _ = server.request("GET", "/healthz")
        expect(status == 200, "the server still serves after the bad packets")
    finally:
        server.stop()
        phone.close()
    print("capture server tests: %d passed, %d failed" % (PASS, FAIL))
    sys.exit(1 if FAIL else 0)


if __name__ == "__main__":
    main()
