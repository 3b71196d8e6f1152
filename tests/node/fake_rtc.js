'use strict';
/*
 * The smallest stand-in for WebRTC that lets JsSIP place and answer calls in Node.
 *
 * Node has no RTCPeerConnection, and JsSIP refuses to call (or to accept an INVITE) without
 * one: it checks window.RTCPeerConnection, builds one per session, asks it for an SDP
 * offer or answer and hands it the peer's. This shim answers those questions with a fixed
 * plain-RTP audio description (PCMU/8000 + telephone-event, RTP/AVP, sendrecv) on a real
 * UDP port bound on 127.0.0.1, so the peer sees a well-formed m=audio line and its RTP has
 * somewhere to go (it is read and dropped: no ICMP "port unreachable" back at the peer).
 *
 * It carries no media: real audio from a browser's WebRTC stack is the browser lab's job
 * (issue 14). What it checks is what a SIP test needs: an offer or answer from the peer must
 * have an m=audio line offering PCMU (payload 0), otherwise setRemoteDescription() fails
 * and JsSIP answers 488 / ends the call, as a browser would on an unusable SDP.
 *
 *   require('./fake_rtc').install();   // defines window, RTCPeerConnection,
 *                                       // RTCSessionDescription on globalThis
 */

const dgram = require('dgram');

class FakeRTCSessionDescription {
    constructor({ type, sdp }) {
        this.type = type;
        this.sdp = sdp;
    }
}

// The peer's SDP must offer PCMU on an audio line; returns an error message or null.
function checkRemoteSdp(sdp) {
    const m = /^m=audio \d+ [A-Z/]+ ([0-9 ]+)\s*$/m.exec(sdp || '');
    if (!m) {
        return 'no m=audio line in the remote SDP';
    }
    if (!m[1].trim().split(/\s+/).includes('0')) {
        return `the remote SDP offers no PCMU (payload types: ${m[1].trim()})`;
    }
    return null;
}

let sessionCounter = 0;

class FakeRTCPeerConnection extends EventTarget {
    constructor() {
        super();
        // "complete" from the start: JsSIP then takes our SDP at once instead of waiting
        // for ICE candidates that will never come.
        this.iceGatheringState = 'complete';
        this.iceConnectionState = 'new';
        this.signalingState = 'stable';
        this.connectionState = 'new';
        this.localDescription = null;
        this.remoteDescription = null;
        this._sessionId = Date.now() * 1000 + (++sessionCounter);
        this._version = 0;
        this._udp = null;
        this._port = null;
    }

    // A UDP socket on 127.0.0.1 with a port the kernel picks: the port our SDP announces.
    _bindPort() {
        if (this._port) {
            return Promise.resolve(this._port);
        }
        return new Promise((resolve, reject) => {
            const s = dgram.createSocket('udp4');
            s.on('error', reject);
            s.on('message', () => {});  // RTP from the peer: dropped (see above)
            s.bind(0, '127.0.0.1', () => {
                this._udp = s;
                this._port = s.address().port;
                resolve(this._port);
            });
        });
    }

    _sdp() {
        return [
            'v=0',
            `o=- ${this._sessionId} ${++this._version} IN IP4 127.0.0.1`,
            's=-',
            'c=IN IP4 127.0.0.1',
            't=0 0',
            `m=audio ${this._port} RTP/AVP 0 101`,
            'a=rtpmap:0 PCMU/8000',
            'a=rtpmap:101 telephone-event/8000',
            'a=fmtp:101 0-15',
            'a=ptime:20',
            'a=sendrecv',
            '',
        ].join('\r\n');
    }

    async createOffer() {
        await this._bindPort();
        return { type: 'offer', sdp: this._sdp() };
    }

    async createAnswer() {
        if (!this.remoteDescription) {
            throw new Error('createAnswer() before setRemoteDescription()');
        }
        await this._bindPort();
        return { type: 'answer', sdp: this._sdp() };
    }

    async setLocalDescription(desc) {
        this.localDescription = new FakeRTCSessionDescription(desc);
        this.signalingState = desc.type === 'offer' ? 'have-local-offer' : 'stable';
    }

    async setRemoteDescription(desc) {
        const err = checkRemoteSdp(desc.sdp);
        if (err) {
            throw new Error(err);
        }
        this.remoteDescription = new FakeRTCSessionDescription(desc);
        this.signalingState = desc.type === 'offer' ? 'have-remote-offer' : 'stable';
    }

    // No tracks: the session is signalling only (JsSIP calls these on hold, mute, close).
    addTrack() {
        return {};
    }

    getSenders() {
        return [];
    }

    getReceivers() {
        return [];
    }

    close() {
        this.signalingState = 'closed';
        this.iceConnectionState = 'closed';
        if (this._udp) {
            this._udp.close();
            this._udp = null;
        }
    }
}

function install() {
    // JsSIP tests window.RTCPeerConnection; Node's global object plays the window.
    if (typeof globalThis.window === 'undefined') {
        globalThis.window = globalThis;
    }
    globalThis.RTCPeerConnection = FakeRTCPeerConnection;
    globalThis.RTCSessionDescription = FakeRTCSessionDescription;
}

module.exports = { install, FakeRTCPeerConnection, FakeRTCSessionDescription, checkRemoteSdp };
