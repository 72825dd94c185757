#!/usr/bin/env python3
"""Figures of one capacity-step run (bench/tiers/capacity-step.sh): reads the receivers' stats
JSON and Slow's recording of Sender's tone, prints the figures, and with --plot draws capacity,
the relay's estimate, what Slow received and the picture height over time with gnuplot.
Times are seconds since diyuma-netsim started (its rate schedule counts from then)."""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import wave


def load(path):
    with open(path) as f:
        return json.load(f)


def sizes_abs(video):
    """[(unix ms, width, height)] of a remote's video sizes."""
    start = video.get("start_unix_ms") or 0
    return [(start + ms, w, h) for ms, w, h in video.get("sizes", [])]


def history_abs(stats, key):
    origin = stats["downlink"].get("history_origin_unix_ms") or 0
    return [(origin + ms, bps) for ms, bps in stats["downlink"].get(key, [])]


def tone_dropouts(wav_path, record_start_ms, from_ms, to_ms, hz=440.0):
    """20 ms windows in [from_ms, to_ms) (Unix ms) and how many hold the tone below -30 dBFS."""
    with wave.open(wav_path) as w:
        rate = w.getframerate()
        channels = w.getnchannels()
        first = max(0, int((from_ms - record_start_ms) * rate / 1000))
        last = int((to_ms - record_start_ms) * rate / 1000)
        w.setpos(min(first, w.getnframes()))
        count = max(0, min(last, w.getnframes()) - first)
        raw = w.readframes(count)
    samples = struct.unpack("<%dh" % (len(raw) // 2), raw)[::channels]
    n = rate // 50
    windows = 0
    quiet = 0
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    for start in range(0, len(samples) - n + 1, n):
        s1 = s2 = 0.0
        for x in samples[start:start + n]:
            s0 = x / 32768.0 + coeff * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        amplitude = 2 * math.sqrt(max(power, 0)) / n
        level = 20 * math.log10(amplitude / math.sqrt(2) + 1e-12)
        windows += 1
        quiet += level < -30
    return windows, quiet


def first_after(points, t, predicate):
    for p in points:
        if p[0] >= t and predicate(p):
            return p
    return None


def fmt_s(value):
    return "n/a" if value is None else "%.2f s" % value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--netsim-start-ms", type=int, required=True)
    ap.add_argument("--high", type=float, required=True)
    ap.add_argument("--low", type=float, required=True)
    ap.add_argument("--cut", type=float, required=True)
    ap.add_argument("--lift", type=float, required=True)
    ap.add_argument("--plot")
    a = ap.parse_args()
    t0 = a.netsim_start_ms
    cut = t0 + a.cut * 1000
    lift = t0 + a.lift * 1000
    slow = load(os.path.join(a.dir, "Slow.json"))
    fast = load(os.path.join(a.dir, "Fast.json"))
    slow_video = slow["remote"]["Sender"]["video"]
    slow_audio = slow["remote"]["Sender"]["audio"]
    fast_video = fast["remote"]["Sender"]["video"]
    sizes = sizes_abs(slow_video)
    received = history_abs(slow, "received_history")
    estimate = history_abs(slow, "history")

    down = first_after(sizes, cut, lambda p: p[2] < 720)
    fits = first_after(received, cut + 1000, lambda p: p[1] <= a.low * 1000)
    back = first_after(sizes, lift, lambda p: p[2] == 720)
    print("slow: first smaller picture after the cut: %s (%s)" %
          (fmt_s(None if down is None else (down[0] - cut) / 1000),
           "none" if down is None else "%dx%d" % (down[1], down[2])))
    print("slow: first second whose received bitrate fits %.0f kbit/s: %s after the cut" %
          (a.low, fmt_s(None if fits is None else (fits[0] - cut) / 1000)))
    print("slow: back to 1280x720 after the lift: %s" %
          fmt_s(None if back is None else (back[0] - lift) / 1000))
    lost = slow_audio.get("packets_lost", 0)
    total = lost + slow_audio.get("packets_received", 0)
    print("slow: audio packets lost %d of %d (%.2f %%) over the whole run" %
          (lost, total, 100.0 * lost / max(1, total)))
    record_start = slow.get("record", {}).get("start_unix_ms")
    wav = os.path.join(a.dir, "Slow", "Sender.wav")
    if record_start and os.path.exists(wav):
        windows, quiet = tone_dropouts(wav, record_start, cut - 1000, cut + 5000)
        print("slow: tone missing in %d of %d 20 ms windows from 1 s before to 5 s after the cut "
              "(%.2f %%)" % (quiet, windows, 100.0 * quiet / max(1, windows)))
    print("slow: video frames decoded %d, freezes %d, longest %.0f ms, layer switches %d" %
          (slow_video.get("frames_decoded", 0), slow_video.get("freezes", 0),
           slow_video.get("longest_freeze_ms", 0), slow_video.get("layer_switches", 0)))
    print("slow: sizes (s since netsim start): %s" %
          ", ".join("%.2f %dx%d" % ((t - t0) / 1000, w, h) for t, w, h in sizes))
    print("fast: sizes: %s; frames decoded %d, freezes %d, longest %.0f ms" %
          (", ".join("%.2f %dx%d" % ((t - t0) / 1000, w, h) for t, w, h in sizes_abs(fast_video)),
           fast_video.get("frames_decoded", 0), fast_video.get("freezes", 0),
           fast_video.get("longest_freeze_ms", 0)))

    if not a.plot:
        return
    end = max([p[0] for p in received + estimate] + [lift + 10000])
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, rows):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                for row in rows:
                    f.write(" ".join(str(x) for x in row) + "\n")
            return path
        cap = write("capacity", [(0, a.high), (a.cut, a.high), (a.cut, a.low), (a.lift, a.low),
                                 (a.lift, a.high), ((end - t0) / 1000, a.high)])
        est = write("estimate", [((t - t0) / 1000, b / 1000) for t, b in estimate if b > 0])
        rec = write("received", [((t - t0) / 1000, b / 1000) for t, b in received])
        steps = []
        for i, (t, _, h) in enumerate(sizes):
            steps.append(((t - t0) / 1000, h))
            nxt = sizes[i + 1][0] if i + 1 < len(sizes) else end
            steps.append(((nxt - t0) / 1000, h))
        hgt = write("height", steps)
        script = f"""
set terminal pngcairo size 1100,560 font 'sans,10'
set output '{a.plot}'
set title "Capacity step: Slow's downlink {a.high:g} -> {a.low:g} -> {a.high:g} kbit/s (diyuma-netsim)"
set xlabel 'seconds since the link model started'
set ylabel 'kbit/s'
set y2label 'picture height received (lines)'
set y2range [0:800]
set y2tics 180
set ytics nomirror
set yrange [0:{max(a.high, a.low) * 1.4:g}]
set key top right
set grid
plot '{cap}' with lines lw 2 lc rgb '#888888' title 'capacity', \\
     '{est}' with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title 'relay estimate (ReceiveReport)', \\
     '{rec}' with linespoints lw 2 pt 5 ps 0.5 lc rgb '#d62728' title 'received (all media, per second)', \\
     '{hgt}' axes x1y2 with lines lw 2 dt 2 lc rgb '#2ca02c' title 'picture height received'
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print("plot: %s" % a.plot)


if __name__ == "__main__":
    sys.exit(main())
