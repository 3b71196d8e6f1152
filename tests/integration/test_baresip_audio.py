#!/usr/bin/env python3
"""Audio checked by content with baresip as the peer, through the lab's Kamailio: Opus
and PCMA, plain and SRTP (srtp = mandatory against baresip's mediaenc=srtp-mand), each
call dialled by one side or the other. Both sides play a 1019 Hz tone; ttyphone records
what it plays (WAV backend) and baresip what it decodes (its sndfile module writes
dump-*-dec.wav). Each recording must have the tone's frequency within 1 %, its level
within 3 dB and no gap over 40 ms, and both sides must have used the codec asked for."""

import glob
import os
import time

import ttylab
from ttylab import analyze, write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "baresip")

TONE_HZ = 1019.0
TONE_DBFS = -9.0            # amplitude 0.5
CALL_SECONDS = 2.5
BARESIP_CODEC = {"opus": "opus/48000/2", "pcma": "pcma"}
DECODER_NAME = {"opus": "opus", "pcma": "PCMA"}
# (codec, srtp, who dials); one baresip user each, so that no two are registered as one
CASES = [("opus", False, "ttyphone", "bob"), ("opus", True, "baresip", "carol"),
         ("pcma", False, "baresip", "dave"), ("pcma", True, "ttyphone", "erin")]


class BaresipAudio(ttylab.LabTestCase):

    def check_recording(self, path, what):
        r = analyze(path)
        shown = "%s (%s): %s" % (what, path, r)
        self.assertIsNotNone(r["onset_ms"], "silence only: " + shown)
        self.assertLess(abs(r["freq"] - TONE_HZ) / TONE_HZ, 0.01, "frequency: " + shown)
        self.assertLess(abs(r["rms_dbfs"] - TONE_DBFS), 3.0, "level: " + shown)
        # relaxed under ASan only (ttylab.max_gap_ms)
        self.assertLessEqual(r["longest_gap_ms"], ttylab.max_gap_ms(40.0), "gap: " + shown)
        return r

    def call(self, codec, srtp, dialler, user):
        lab = self.lab
        tone = lab.path("tone.wav")
        if not os.path.exists(tone):
            write_tone(tone, freq=TONE_HZ, seconds=5.0, rate=48000, amplitude=0.5)
        tag = "%s-%s-%s" % (codec, "srtp" if srtp else "plain", user)
        ours = lab.path("alice-%s.wav" % tag)
        dumps = lab.path("baresip-%s" % tag)
        os.makedirs(dumps)
        a = lab.phone("alice", codecs=codec, srtp="mandatory" if srtp else "off",
                      backend="file", input=tone, output=ours)
        b = lab.baresip(user, audio="file", input_wav=tone, codecs=BARESIP_CODEC[codec],
                        mediaenc="srtp-mand" if srtp else None,
                        extra_config="module sndfile.so\nsnd_path %s" % dumps)
        a.wait_event(event="reg", state="registered", code=200)
        b.wait_registered()
        if dialler == "ttyphone":
            a.send("call %s" % user)
            cid = a.wait_event(event="call", state="established", timeout=15)["id"]
        else:
            b.dial(lab.kam.aor("alice"))
            cid = a.wait_event(event="call", state="incoming")["id"]
            a.send("answer %d" % cid)
            a.wait_event(event="call", state="established", id=cid)
        media = a.wait_event(event="media", id=cid, since=0)
        b.wait_event(type="CALL_ESTABLISHED")
        what = "%s: ttyphone media %s, baresip decoders %s\nbaresip log:\n%s" % (
            tag, media, b.audio_decoders(), b.log_tail(15))
        self.assertEqual(media["codec"], codec, what)
        self.assertEqual(media["srtp"], srtp, what)
        time.sleep(CALL_SECONDS)
        if dialler == "ttyphone":
            a.send("hangup %d" % cid)
        else:
            b.hangup()
        a.wait_event(event="call", state="ended", id=cid)
        b.wait_event(type="CALL_CLOSED")
        self.assertEqual(b.audio_decoders()[-1:], [DECODER_NAME[codec]], what)
        a.quit()
        b.stop()                      # closes its dump files
        lab.phones.clear()
        dec = glob.glob(os.path.join(dumps, "dump-*-dec.wav"))
        self.assertEqual(len(dec), 1, "baresip's decoded-audio dump: %s in %s\n%s" % (
            os.listdir(dumps), dumps, what))
        r_ours = self.check_recording(ours, "ttyphone heard baresip, " + tag)
        r_theirs = self.check_recording(dec[0], "baresip heard ttyphone, " + tag)
        print("%s: ttyphone heard %s; baresip heard %s" % (tag, *[
            {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()
             if k != "gaps"} for r in (r_ours, r_theirs)]))

    def test_tone_both_ways_opus_and_pcma_plain_and_srtp(self):
        for codec, srtp, dialler, user in CASES:
            with self.subTest(codec=codec, srtp=srtp, dialler=dialler):
                self.call(codec, srtp, dialler, user)


if __name__ == "__main__":
    ttylab.main()
