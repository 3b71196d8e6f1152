#!/usr/bin/env python3
"""A WebRTC call in the terminal UI: a headless ttyphone whose account says media = webrtc
calls the UI on 127.0.0.1, its outbound proxy (no server: it does not register); the UI
answers with 'a'. Until the keys the call panel says where the link stands (too quick to
see here); then it shows the pair's candidate types (WebRTC host->host) on the quality
line and the lock of SRTP beside the clock; h hangs up."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Headless, Screen, fail, free_port, make_home  # noqa: E402


def main():
    port = free_port()
    peer_home = make_home()
    # An account's calls go to its domain's server unless an outbound proxy says where:
    # here the UI itself.
    with open(os.path.join(peer_home, "ttyphone", "config.ini"), "a") as f:
        f.write("\n[account peer]\nuri = sip:peer@127.0.0.1\nregister = no\n"
                "outbound_proxy = sip:127.0.0.1:%d\nmedia = webrtc\n" % port)
    peer = Headless(peer_home)
    home = make_home(sip_port=port)
    s = Screen(100, 30)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")

    peer.send("call sip:tui@127.0.0.1:%d" % port)
    s.wait(r"Incoming call", what="the incoming call popup")
    s.keys("a")
    peer.wait_event(lambda e: e.get("event") == "webrtc" and e.get("state") == "connected",
                    15, "DTLS connected at the caller")
    screen = s.wait(r"WebRTC host->host", what="the call panel naming the ICE pair")
    if not re.search(r"opus/48000 .*MOS \d\.\d  WebRTC host->host", screen):
        fail("the quality line does not carry the WebRTC pair", screen)
    if not re.search(r"00:\d\d 🔒", screen):
        fail("no SRTP lock beside the call's clock", screen)
    s.keys("h")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "ended", 10,
                    "the call ended at the caller")
    s.wait(r"No call", what="the call gone from the panel")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="a clean exit")
    print("ok")


if __name__ == "__main__":
    main()
