#!/usr/bin/env python3
"""libpulse-simple, libsrtp2, spandsp and libsndfile are opened when a call first needs
them (src/media/lib_load.c), not linked: a run maps only what it uses, and a library that
cannot be loaded is explained, never a crash.

Read from /proc/PID/maps of real phones registered at the lab's Kamailio:
- an Opus call without SRTP over the null backend maps none of the four, nor what
  Debian's builds of them bring (NSS, libtiff, libstdc++, X11, FLAC...); the file
  backend maps libsndfile and still none of the others;
- a PCMA call with SRTP maps spandsp and libsrtp2 on both ends, and carries audio;
- a phone whose spandsp is broken (a bad libspandsp.so.2 first on LD_LIBRARY_PATH)
  answers an offer of G.722, PCMA and Opus with Opus, refuses an offer of PCMA alone
  with 488 and the loader's reason, and stays up;
- a broken libsrtp2: with srtp = optional the phone answers an offer with crypto lines
  plain; with srtp = mandatory it refuses with 488 and the loader's reason;
- a broken libpulse-simple on the PulseAudio backend: the audio event says why, and the
  call goes on (without sound).
"""

import os

import ttylab
from ttylab import write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")

# Libraries only the four optional ones bring in Debian 12 (ldd of each); libsndfile's
# own are allowed where it is used.
SNDFILE = ["libsndfile", "libFLAC", "libvorbis", "libmp3lame", "libmpg123"]
BAGGAGE = ["libnss3", "libnspr4", "libtiff", "libstdc++", "libjpeg", "libX11", "libxcb",
           "libdbus-1", "libsystemd", "libgcrypt"]
OPTIONAL = ["libpulse", "libsrtp2", "libspandsp",
            "ttyphone-webrtc", "libnice", "libglib-2.0", "libgio-2.0"]  # WebRTC's module
if ttylab.sanitized():
    BAGGAGE.remove("libstdc++")    # libasan needs it
    # the ASan build links libnice (its runtime refuses the module's RTLD_DEEPBIND)
    for lib in ("libnice", "libglib-2.0", "libgio-2.0"):
        OPTIONAL.remove(lib)


def mapped_libs(pid):
    """Base names of the shared objects mapped into pid."""
    libs = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if ".so" in path:
                libs.add(os.path.basename(path))
    return libs


def has(libs, prefix):
    return any(name.startswith(prefix + ".") or name.startswith(prefix + "-")
               for name in libs)


def broken_lib(lab, soname):
    """Environment that puts a file named soname, which is no shared object, first on
    the library path: the loader finds it and refuses it."""
    bad = lab.path("bad-" + soname)
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, soname), "w") as f:
        f.write("not a shared object\n")
    return {"LD_LIBRARY_PATH": bad}


def call(a, b, who="bob"):
    a.send("call %s" % who)
    est = a.wait_event(event="call", state="established", timeout=15)
    b.wait_event(event="call", state="established", timeout=5)
    media = [p.wait_event(event="media", since=0, timeout=5) for p in (a, b)]
    return est["id"], media


class OptionalLibs(ttylab.LabTestCase):
    def test_an_opus_call_maps_none_of_them(self):
        tone = self.lab.path("tone.wav")
        write_tone(tone, freq=1000.0, seconds=2.0, rate=48000, amplitude=0.3)
        a = self.lab.phone("alice", codecs="opus", backend="file", input=tone)
        b = self.lab.phone("bob", codecs="opus", auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        cid, media = call(a, b)
        self.assertEqual([m["codec"] for m in media], ["opus", "opus"])
        st = b.wait_event(event="stats", timeout=7)
        self.assertGreater(st.get("recv", 0), 0, st)
        la, lb = mapped_libs(a.pid), mapped_libs(b.pid)
        print("caller maps %d shared objects, callee %d" % (len(la), len(lb)))
        for lib in OPTIONAL + BAGGAGE + SNDFILE:
            if lib not in SNDFILE:
                self.assertFalse(has(la, lib), "%s mapped by the file-backend caller" % lib)
            self.assertFalse(has(lb, lib), "%s mapped by the null-backend callee: %s" %
                             (lib, sorted(lb)))
        # The file backend opened its WAV through libsndfile, loaded for it.
        self.assertTrue(has(la, "libsndfile"), sorted(la))
        a.send("hangup %d" % cid)
        b.wait_event(event="call", state="ended")

    def test_a_pcma_srtp_call_loads_spandsp_and_libsrtp2(self):
        tone = self.lab.path("tone8k.wav")
        write_tone(tone, freq=1000.0, seconds=2.0, rate=48000, amplitude=0.3)
        a = self.lab.phone("alice", codecs="pcma", srtp="mandatory", backend="file",
                           input=tone)
        b = self.lab.phone("bob", codecs="pcma", srtp="mandatory", auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
            self.assertFalse(has(mapped_libs(p.pid), "libspandsp"))
            self.assertFalse(has(mapped_libs(p.pid), "libsrtp2"))
        cid, media = call(a, b)
        for m in media:
            self.assertEqual(m["codec"], "pcma")
            self.assertTrue(m["srtp"])
        mark = b.mark()
        st = b.wait_event(event="stats", since=mark, timeout=7)
        self.assertGreater(st.get("recv", 0), 0, st)
        self.assertGreater(st.get("spk", 0), 0.05, st)
        for p in (a, b):
            libs = mapped_libs(p.pid)
            self.assertTrue(has(libs, "libspandsp"), sorted(libs))
            self.assertTrue(has(libs, "libsrtp2"), sorted(libs))
        a.send("hangup %d" % cid)
        b.wait_event(event="call", state="ended")

    def test_a_broken_spandsp_is_passed_over_and_explained(self):
        env = broken_lib(self.lab, "libspandsp.so.2")
        a = self.lab.phone("alice", codecs="g722, pcma, opus")
        b = self.lab.phone("bob", codecs="g722, pcma, opus", env=env)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call bob")
        inc = b.wait_event(event="call", state="incoming")
        b.send("answer %d" % inc["id"])
        est = a.wait_event(event="call", state="established", timeout=15)
        # G.722 and PCMA were offered first; bob cannot run them, so Opus it is.
        self.assertEqual(b.wait_event(event="media", since=0)["codec"], "opus")
        self.assertEqual(a.wait_event(event="media", since=0)["codec"], "opus")
        a.send("hangup %d" % est["id"])
        b.wait_event(event="call", state="ended")

        c = self.lab.phone("carol", codecs="pcma")
        c.wait_event(event="reg", state="registered")
        mark = b.mark()
        c.send("call bob")
        inc = b.wait_event(event="call", state="incoming", since=mark)
        b.send("answer %d" % inc["id"])
        err = b.wait_event(event="error", since=mark)
        self.assertIn("libspandsp.so.2", err["message"])
        self.assertIn("no usable codec", err["message"])
        self.assertEqual(c.wait_event(event="call", state="ended")["code"], 488)
        self.assertEqual(b.command("status", event="status")["accounts"][0]["state"],
                         "registered")


    def test_a_broken_libsrtp2_answers_plain_or_refuses_with_the_reason(self):
        env = broken_lib(self.lab, "libsrtp2.so.1")
        a = self.lab.phone("alice", codecs="opus", srtp="optional")
        b = self.lab.phone("bob", codecs="opus", srtp="optional", env=env)
        c = self.lab.phone("carol", codecs="opus", srtp="mandatory", env=env)
        for p in (a, b, c):
            p.wait_event(event="reg", state="registered")
        # optional, offered over RTP/AVP with crypto lines: bob answers plain.
        a.send("call bob")
        inc = b.wait_event(event="call", state="incoming")
        b.send("answer %d" % inc["id"])
        est = a.wait_event(event="call", state="established", timeout=15)
        for p in (a, b):
            m = p.wait_event(event="media", since=0)
            self.assertFalse(m["srtp"], m)
        st = b.wait_event(event="stats", timeout=7)
        self.assertGreater(st.get("recv", 0), 0, st)
        a.send("hangup %d" % est["id"])
        b.wait_event(event="call", state="ended")
        a.wait_event(event="call", state="ended", id=est["id"])
        # mandatory: carol refuses, and says why.
        mark, mark_a = c.mark(), a.mark()
        a.send("call carol")
        inc = c.wait_event(event="call", state="incoming", since=mark)
        c.send("answer %d" % inc["id"])
        err = c.wait_event(event="error", since=mark)
        self.assertIn("libsrtp2.so.1", err["message"])
        self.assertEqual(a.wait_event(event="call", state="ended", since=mark_a)["code"], 488)


class BrokenPulse(ttylab.LabTestCase):
    lab_args = {"pulse": True}

    def test_a_broken_libpulse_is_explained_and_the_call_goes_on(self):
        env = broken_lib(self.lab, "libpulse-simple.so.0")
        a = self.lab.phone("alice", codecs="opus", audio=True, env=env)
        b = self.lab.phone("bob", codecs="opus", auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        # The start-up probe says so before any call...
        ev = a.wait_event(event="audio", ok=False, since=0, timeout=10)
        self.assertIn("libpulse-simple.so.0", ev["reason"])
        # ...and a call still connects and sends (silence from the null device).
        mark = a.mark()
        cid, media = call(a, b)
        ev = a.wait_event(event="audio", ok=False, since=mark, timeout=10)
        self.assertIn("libpulse-simple.so.0", ev["reason"])
        st = b.wait_event(event="stats", since=mark, timeout=7)
        self.assertGreater(st.get("recv", 0), 0, st)
        a.send("hangup %d" % cid)
        b.wait_event(event="call", state="ended")


if __name__ == "__main__":
    ttylab.main()
