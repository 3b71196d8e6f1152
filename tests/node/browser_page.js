'use strict';
/*
 * The browser lab's web phone (browser_page.html): one JsSIP UA with real WebRTC media
 * (Chromium's RTCPeerConnection: ICE, DTLS-SRTP, Opus), its microphone Chromium's fake
 * capture device playing the driver's WAV file, and a WebAudio analyser on each call's
 * remote audio so a test can tell by content what the other side sends.
 *
 * browser_driver.js calls window.lab.cmd(name, args) (a promise of a JSON-able result) and
 * receives events through window.ttyEmit(json), the binding it exposes. Commands:
 *   start{uri,socket,password,authorization_user,display_name,register,register_expires,
 *         auto_answer,loopback_only,audio_processing,config}   -> {jssip}
 *   register  unregister
 *   call{to,extra_headers,video,trickle}  -> {id}  (video: the offer has a video line too;
 *         trickle: RFC 8840 half trickle by hand, as JsSIP has none: the INVITE's offer
 *         goes without its candidates, the answer's candidates are kept from the browser
 *         (so the far side must learn of it from the INFO alone), and once the call is
 *         confirmed they go in one INFO, application/trickle-ice-sdpfrag: trickle_sent)       answer{id}  reject{id,status,reason}  hangup{id}
 *   hold{id}  unhold{id}  mute{id}  unmute{id}
 *   dtmf{id,tones,transport:"RFC2833"|"INFO",duration,gap}
 *   message{to,body,content_type}         info{id,content_type,body}
 *   measure{id,which:"remote"|"local",freqs:[Hz..]}  -> see Probe.measure() below
 *                                      (+ track: false and silence before a remote track)
 *   stats{id}  -> see stats() below            sdp{id} -> {local, remote}
 *   calls -> [{id,direction,status}]           eval{expr} (a debugging aid) -> its value
 *   restart_ice{id}  -> {}  a re-INVITE whose offer restarts ICE (JsSIP renegotiate with
 *         iceRestart: new ice-ufrag/ice-pwd); its answer shows as sdp events
 *   echo{id}  -> {}  the call sends back what it receives (its audio sender takes the
 *         remote track: replaceTrack), a round trip for a delay measurement
 *   tamper{fingerprint,ice_pwd,setup}  -> {}  what the next calls send in their SDP, as
 *         a broken or hostile peer would: fingerprint: one byte of a=fingerprint altered
 *         (the peer's DTLS check must fail); ice_pwd: a=ice-pwd altered (the peer's
 *         checks fail our integrity check: ICE cannot connect); setup: a=setup says this
 *         instead ("passive" in an answer where we are active: two DTLS clients, no
 *         handshake). The browser's own RTCPeerConnection keeps its real description.
 *         tamper{} turns it off.
 *   stop  -> un-REGISTER, BYE open calls, close the socket (bounded)
 * "id" is a call's JsSIP session id; without it, the newest call.
 * Events (besides each command's reply, which the driver sends):
 *   connected, disconnected{error,code,reason}, registered{status}, unregistered{status},
 *   registration_failed{cause,status}, message_in{from,body,content_type},
 *   message_sent{to,status}, message_failed{to,cause,status},
 *   call_in{id,from,sdp}, call_out{id,to}, call_progress{id,status},
 *   call_accepted{id,status}, call_confirmed{id}, call_failed{id,cause,status,originator},
 *   call_ended{id,cause,originator}, sdp{id,originator,type,sdp}, track{id,kind},
 *   ice_state{id,state}, connection_state{id,state}, hold/unhold{id,originator},
 *   muted/unmuted{id}, reinvite{id}, dtmf_in{id,tone,duration} (SIP INFO only),
 *   dtmf_tone{id,tone} (our RFC 4733 sender starts a tone; "" when the queue is done),
 *   info_in{id,content_type,body}, media_failed{id,stage,message},
 *   trickle_sent{id,candidates,status} (the call{trickle} INFO's answer)
 *
 * DTMF received as RFC 4733 telephone-events is never an event: WebRTC gives a page no
 * access to them. Chromium's NetEq plays them out as the DTMF tone pair instead, so a test
 * hears them with measure{freqs:[row Hz, column Hz]}. Only SIP INFO DTMF is dtmf_in.
 */
(function () {
    const JsSIP = window.JsSIP;
    const FFT_SIZE = 32768;             // the analyser's largest window: ~0.68 s at 48 kHz
    const SAMPLE_RATE = 48000;          // Opus's clock; the AudioContext runs at it
    const STOP_TIMEOUT_MS = 4000;       // JsSIP closes its socket 2 s after UA.stop()

    const st = {
        ua: null,
        cfg: {},
        mic: null,            // the fake capture device's stream (every call gets a clone)
        micProbe: null,
        ctx: null,
        calls: new Map(),     // id -> {session, direction, probe, audio, local, pcHooked}
        tamper: {},           // see the tamper command
    };

    // The SDP we send, altered as the tamper command asked.
    function tampered(sdp) {
        const t = st.tamper;
        let out = sdp;
        if (t.fingerprint) {        // the last byte flipped
            out = out.replace(/^(a=fingerprint:\S+ (?:[0-9A-F]{2}:)*)([0-9A-F]{2})$/m,
                (m, head, last) => head + (last === 'FF' ? '00' : 'FF'));
        }
        if (t.ice_pwd) {            // the first character changed
            out = out.replace(/^a=ice-pwd:(.)/m, (m, c) => 'a=ice-pwd:' + (c === 'x' ? 'y' : 'x'));
        }
        if (t.setup) {
            out = out.replace(/^a=setup:\S+$/m, `a=setup:${t.setup}`);
        }
        return out;
    }

    function emit(event, fields) {
        const line = JSON.stringify(Object.assign({ event }, fields || {}));
        if (window.ttyEmit) {
            window.ttyEmit(line).catch(() => {});   // the driver is going away: nothing to do
        } else {
            console.log('event', line);             // the page opened by hand
        }
    }

    function statusOf(msg) {
        return msg && typeof msg.status_code === 'number' ? msg.status_code : undefined;
    }

    function errText(err) {
        return (err && (err.message || err.name)) || String(err);
    }

    // --- audio analysis -----------------------------------------------------------------
    function audioContext() {
        if (!st.ctx) {
            st.ctx = new AudioContext({ sampleRate: SAMPLE_RATE });
        }
        if (st.ctx.state !== 'running') {
            st.ctx.resume();   // no user gesture here; the driver allows autoplay
        }
        return st.ctx;
    }

    // An analyser on one stream. Its output goes into a silent gain node connected to the
    // destination, so the graph is pulled whether or not Chromium pulls lone analysers.
    class Probe {
        constructor(stream) {
            const ctx = audioContext();
            this.ctx = ctx;
            this.source = ctx.createMediaStreamSource(stream);
            this.analyser = ctx.createAnalyser();
            this.analyser.fftSize = FFT_SIZE;
            this.analyser.smoothingTimeConstant = 0;   // each measure is its own window
            this.sink = ctx.createGain();
            this.sink.gain.value = 0;
            this.source.connect(this.analyser);
            this.analyser.connect(this.sink);
            this.sink.connect(ctx.destination);
            this.started = performance.now();
        }

        /*
         * The last FFT_SIZE samples: {rate, window_ms, age_ms, rms_dbfs, freq, peak_db,
         * tones: {"<Hz>": {dbfs, share}}}. dBFS as tests/lib/ttylab_audio.py counts it (a
         * full-scale sine is -3 dB). freq: the strongest spectral peak between 50 Hz and
         * 8 kHz, refined by parabolic interpolation (bins are 1.5 Hz); only meaningful when
         * the window is full of the tone (a tone that starts mid-window smears: seen 4 Hz
         * off). tones: for each asked frequency, its level (tonePower, the same dBFS scale),
         * its share of the window's power (near 1 for a clean tone, near 0 if absent), and
         * min_share / max_share, its share in the window's weakest and strongest 85 ms
         * block (a block under -70 dBFS counts 0): min_share high = the tone fills the
         * window.
         */
        measure(freqs) {
            const a = this.analyser;
            const n = a.fftSize;
            const rate = this.ctx.sampleRate;
            const buf = new Float32Array(n);
            a.getFloatTimeDomainData(buf);
            const spec = new Float32Array(a.frequencyBinCount);
            a.getFloatFrequencyData(spec);
            let sum = 0;
            for (let i = 0; i < n; i++) {
                sum += buf[i] * buf[i];
            }
            const ms = sum / n;
            const dbfs = v => (v > 1e-12 ? 20 * Math.log10(v) : -120);
            const lo = Math.ceil(50 * n / rate);
            const hi = Math.min(spec.length - 2, Math.floor(8000 * n / rate));
            let k = lo;
            for (let i = lo; i <= hi; i++) {
                if (spec[i] > spec[k]) {
                    k = i;
                }
            }
            let delta = 0;
            const [p, q, r] = [spec[k - 1], spec[k], spec[k + 1]];
            if (isFinite(p) && isFinite(q) && isFinite(r) && p - 2 * q + r !== 0) {
                delta = Math.max(-0.5, Math.min(0.5, 0.5 * (p - r) / (p - 2 * q + r)));
            }
            const tones = {};
            const r3 = v => Math.round(Math.min(1, v) * 1000) / 1000;
            for (const f of freqs || []) {
                const t = tonePower(buf, rate, Number(f));
                tones[String(f)] = {
                    dbfs: Math.round(dbfs(Math.sqrt(t.power)) * 10) / 10,
                    share: ms > 0 ? r3(t.power / ms) : 0,
                    min_share: r3(t.minShare),
                    max_share: r3(t.maxShare),
                };
            }
            return {
                rate, window_ms: Math.round(1000 * n / rate),
                age_ms: Math.round(performance.now() - this.started),
                rms_dbfs: Math.round(dbfs(Math.sqrt(ms)) * 10) / 10,
                freq: ms > 0 ? Math.round((k + delta) * rate / n * 10) / 10 : null,
                peak_db: isFinite(q) ? Math.round(q * 10) / 10 : null,
                tones,
            };
        }

        close() {
            for (const node of [this.source, this.analyser, this.sink]) {
                try {
                    node.disconnect();
                } catch (err) { /* already */ }
            }
        }
    }

    /*
     * The mean power (amplitude² / 2) of the `freq` component of buf: Goertzel over Hann-
     * windowed blocks of TONE_BLOCK samples, averaged; and the least and greatest share of
     * a block's power it has (0 for a silent block). Blocks, not the whole window: a tone
     * that arrives 1 Hz off (the fake capture device and the AudioContext run on clocks of
     * their own, and Opus resamples) would lose 3 dB in a 0.68 s Goertzel, nothing in an
     * 85 ms one, whose main lobe (±23 Hz) still keeps DTMF's nearest pair (70 Hz) apart.
     */
    const TONE_BLOCK = 4096;
    const SILENT_MS = 1e-7;   // mean square of -70 dBFS
    function tonePower(buf, rate, freq) {
        const w = 2 * Math.PI * freq / rate;
        const coeff = 2 * Math.cos(w);
        let sum = 0, blocks = 0, minShare = 1, maxShare = 0;
        for (let start = 0; start + TONE_BLOCK <= buf.length; start += TONE_BLOCK) {
            let s1 = 0, s2 = 0, energy = 0;
            for (let i = 0; i < TONE_BLOCK; i++) {
                const x = buf[start + i];
                const hann = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (TONE_BLOCK - 1));
                const s0 = x * hann + coeff * s1 - s2;
                s2 = s1;
                s1 = s0;
                energy += x * x;
            }
            const re = s1 - s2 * Math.cos(w);
            const im = s2 * Math.sin(w);
            const amp = 2 * Math.sqrt(re * re + im * im) / (TONE_BLOCK * 0.5);   // Hann gain 0.5
            const power = amp * amp / 2;
            const blockMs = energy / TONE_BLOCK;
            // A block under -70 dBFS is silence: a tone fading out in the peer's packet
            // loss concealment still has a high share of next to nothing.
            const share = blockMs > SILENT_MS ? power / blockMs : 0;
            minShare = Math.min(minShare, share);
            maxShare = Math.max(maxShare, share);
            sum += power;
            blocks++;
        }
        return blocks ? { power: sum / blocks, minShare, maxShare }
            : { power: 0, minShare: 0, maxShare: 0 };
    }

    // --- SDP ------------------------------------------------------------------------------
    /*
     * loopback_only: keep only the 127.0.0.1 candidates in what we send, and put that
     * address in c= and its port in m=: a peer sends media to 127.0.0.1 only, whatever
     * other interfaces a machine has (this one has a 192.0.2.x eth0). Chromium itself
     * still runs checks from all its host candidates (no API or switch limits that), so
     * a selected pair can be 192.0.2.x -> 127.0.0.1, and the peer then learns that
     * address as peer-reflexive: traffic between this machine's own addresses. Chromium
     * gathers 127.0.0.1 at all only with --allow-loopback-in-peer-connection
     * (browser_driver.js passes it).
     */
    function loopbackOnly(sdp) {
        const out = [];
        let port = null;
        for (const line of sdp.split('\r\n')) {
            const m = /^a=candidate:\S+ (\d+) (\S+) \d+ (\S+) (\d+) typ /.exec(line);
            if (m) {
                if (m[3] !== '127.0.0.1') {
                    continue;
                }
                if (port === null && m[1] === '1' && m[2].toLowerCase() === 'udp') {
                    port = m[4];
                }
            }
            out.push(line);
        }
        if (port === null) {
            return sdp;   // no loopback candidate: leave it; the call fails visibly
        }
        return out.map(l => l.replace(/^m=audio \d+ /, `m=audio ${port} `)
            .replace(/^c=IN IP4 \S+$/, 'c=IN IP4 127.0.0.1')).join('\r\n');
    }

    // --- trickle ICE over SIP (RFC 8840), by hand --------------------------------------
    function withoutCandidates(sdp) {
        return sdp.split('\r\n').filter(l => !/^a=(candidate:|end-of-candidates)/.test(l))
            .join('\r\n');
    }

    // The offer without its candidates; they are kept for the INFO.
    function holdCandidates(call, sdp) {
        const lines = sdp.split('\r\n');
        const pick = re => { const l = lines.find(x => re.test(x)); return l && re.exec(l)[1]; };
        call.held = {
            ufrag: pick(/^a=ice-ufrag:(\S+)/), pwd: pick(/^a=ice-pwd:(\S+)/),
            mid: pick(/^a=mid:(\S+)/) || '0', proto: pick(/^m=audio \d+ (\S+)/),
            cands: lines.filter(l => /^a=candidate:/.test(l)),
        };
        return withoutCandidates(sdp);
    }

    function sendTrickle(call) {
        const h = call.held;
        call.held = null;
        const frag = [
            `a=ice-ufrag:${h.ufrag}`, `a=ice-pwd:${h.pwd}`, `m=audio 9 ${h.proto} 0`,
            `a=mid:${h.mid}`, ...h.cands, 'a=end-of-candidates', '',
        ].join('\r\n');
        const done = status => emit('trickle_sent', { id: call.id, candidates: h.cands.length,
                                                     status });
        // JsSIP says newInfo (synchronously, inside sendInfo) with the Info object whose
        // succeeded/failed events carry the answer.
        call.session.once('newInfo', d => {
            d.info.on('succeeded', e => done(statusOf(e.response)));
            d.info.on('failed', e => done(statusOf(e.response)));
        });
        call.session.sendInfo('application/trickle-ice-sdpfrag', frag,
                              { extraHeaders: ['Info-Package: trickle-ice'] });
    }

    // --- calls ----------------------------------------------------------------------------
    function findCall(id) {
        if (id !== undefined && id !== null) {
            const c = st.calls.get(id);
            if (!c) {
                throw new Error(`no call with id ${id}`);
            }
            return c;
        }
        const all = [...st.calls.values()];
        if (!all.length) {
            throw new Error('no call');
        }
        return all[all.length - 1];
    }

    // A clone per call: JsSIP disables the tracks it is given while on hold, and a call that
    // ends on hold must not leave the next call's microphone disabled.
    function callMedia() {
        const opts = {
            mediaConstraints: { audio: true, video: false },
            pcConfig: { iceServers: [] },   // no STUN/TURN: nothing off this machine
        };
        if (st.mic) {
            opts.mediaStream = st.mic.clone();
        }
        return opts;
    }

    /*
     * The analyser listens to the receiver's track itself, in a stream of our own: the
     * remote msid stream loses the track when the peer stops sending (hold: its direction
     * goes recvonly) and a later "track" event may bring another stream, while the
     * transceiver's track object stays. A "track" event with another track (a new
     * transceiver) replaces the analyser.
     */
    function attachRemote(call, track) {
        if (call.probe && call.track === track) {
            return;
        }
        if (call.probe) {
            releaseRemote(call);
        }
        const stream = new MediaStream([track]);
        call.track = track;
        // Chromium decodes a remote WebRTC track for WebAudio reliably only while a media
        // element plays it too; muted, so nothing needs an audio output.
        const audio = document.createElement('audio');
        audio.muted = true;
        audio.autoplay = true;
        audio.srcObject = stream;
        document.getElementById('media').appendChild(audio);
        audio.play().catch(err => emit('media_failed', {
            id: call.id, stage: 'audio.play', message: errText(err),
        }));
        call.audio = audio;
        call.probe = new Probe(stream);
    }

    function hookPc(call, pc) {
        if (!pc || call.pc === pc) {
            return;
        }
        call.pc = pc;
        const id = call.id;
        pc.addEventListener('track', e => {
            emit('track', { id, kind: e.track.kind });
            if (e.track.kind === 'audio') {
                attachRemote(call, e.track);
            }
        });
        pc.addEventListener('iceconnectionstatechange',
            () => emit('ice_state', { id, state: pc.iceConnectionState }));
        pc.addEventListener('connectionstatechange',
            () => emit('connection_state', { id, state: pc.connectionState }));
    }

    function releaseRemote(call) {
        if (call.probe) {
            call.probe.close();
            call.probe = null;
        }
        if (call.audio) {
            call.audio.srcObject = null;
            call.audio.remove();
            call.audio = null;
        }
    }

    function release(call) {
        releaseRemote(call);
        if (call.local) {
            call.local.getTracks().forEach(t => t.stop());
        }
    }

    function watchSession(session, direction, request) {
        const id = session.id;
        const call = { id, session, direction, probe: null, audio: null, local: null, pc: null };
        st.calls.set(id, call);
        hookPc(call, session.connection);
        session.on('peerconnection', e => hookPc(call, e.peerconnection));
        session.on('sdp', e => {
            if (e.originator === 'local' && st.cfg.loopback_only !== false) {
                e.sdp = loopbackOnly(e.sdp);
            }
            if (e.originator === 'local') {
                e.sdp = tampered(e.sdp);
            }
            if (call.trickle && e.type === 'offer' && e.originator === 'local') {
                e.sdp = holdCandidates(call, e.sdp);
            } else if (call.trickle && e.type === 'answer' && e.originator === 'remote') {
                e.sdp = withoutCandidates(e.sdp);
            }
            emit('sdp', { id, originator: e.originator, type: e.type, sdp: e.sdp });
        });
        session.on('progress', e => emit('call_progress', { id, status: statusOf(e.response) }));
        session.on('accepted', e => emit('call_accepted', { id, status: statusOf(e.response) }));
        session.on('confirmed', () => {
            emit('call_confirmed', { id });
            if (call.trickle && call.held) {
                sendTrickle(call);
            }
        });
        session.on('failed', e => {
            st.calls.delete(id);
            release(call);
            emit('call_failed', {
                id, cause: e.cause, originator: e.originator,
                status: statusOf(e.message) || call.rejectStatus,
            });
        });
        session.on('ended', e => {
            st.calls.delete(id);
            release(call);
            emit('call_ended', { id, cause: e.cause, originator: e.originator });
        });
        session.on('hold', e => emit('hold', { id, originator: e.originator }));
        session.on('unhold', e => emit('unhold', { id, originator: e.originator }));
        session.on('muted', () => emit('muted', { id }));
        session.on('unmuted', () => emit('unmuted', { id }));
        session.on('reinvite', () => emit('reinvite', { id }));
        session.on('newDTMF', e => {
            if (e.originator === 'remote') {
                emit('dtmf_in', { id, tone: e.dtmf.tone, duration: e.dtmf.duration });
            }
        });
        session.on('newInfo', e => {
            if (e.originator === 'remote') {
                emit('info_in', { id, content_type: e.info.contentType, body: e.info.body });
            }
        });
        for (const stage of ['getusermediafailed', 'peerconnection:createofferfailed',
            'peerconnection:createanswerfailed', 'peerconnection:setlocaldescriptionfailed',
            'peerconnection:setremotedescriptionfailed']) {
            session.on(stage, err => emit('media_failed', { id, stage, message: errText(err) }));
        }
        if (direction === 'incoming') {
            emit('call_in', {
                id, from: session.remote_identity.uri.toString(), sdp: request && request.body,
            });
            if (st.cfg.auto_answer) {
                setTimeout(() => {
                    try {
                        commands.answer({ id });
                    } catch (err) {
                        emit('media_failed', { id, stage: 'auto_answer', message: errText(err) });
                    }
                }, 0);
            }
        }
        return call;
    }

    // --- statistics -------------------------------------------------------------------------
    /*
     * A summary of pc.getStats() for the audio of one call: inbound (packetsReceived,
     * bytesReceived, packetsLost, jitter, audioLevel, totalAudioEnergy, concealedSamples,
     * codec), outbound (packetsSent, bytesSent, codec), remote_inbound (what the peer's RTCP
     * receiver reports say: packetsLost, fractionLost, roundTripTime, jitter), transport
     * (dtlsState, iceState, dtlsRole, srtpCipher, dtlsCipher, tlsVersion), pair (the
     * selected candidate pair: state, local/remote {candidateType, address, port, protocol},
     * bytesSent, bytesReceived, currentRoundTripTime), and the connection's states.
     */
    async function stats(call) {
        const pc = call.pc;
        if (!pc) {
            throw new Error('the call has no RTCPeerConnection yet');
        }
        const report = await pc.getStats();
        const byId = new Map();
        report.forEach(s => byId.set(s.id, s));
        const pick = (s, keys) => {
            if (!s) {
                return null;
            }
            const o = {};
            for (const k of keys) {
                if (s[k] !== undefined) {
                    o[k] = s[k];
                }
            }
            return o;
        };
        const codecOf = s => {
            const c = s && s.codecId && byId.get(s.codecId);
            return c ? `${c.mimeType}/${c.clockRate}${c.channels ? '/' + c.channels : ''}` : undefined;
        };
        const candidate = c => pick(c, ['candidateType', 'address', 'port', 'protocol']);
        let inbound = null, outbound = null, remoteIn = null, transport = null, pair = null;
        report.forEach(s => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') {
                inbound = Object.assign(pick(s, ['ssrc', 'packetsReceived', 'bytesReceived',
                    'packetsLost', 'jitter', 'audioLevel', 'totalAudioEnergy',
                    'totalSamplesReceived', 'concealedSamples', 'jitterBufferDelay',
                    'jitterBufferEmittedCount']), { codec: codecOf(s) });
            } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
                outbound = Object.assign(pick(s, ['ssrc', 'packetsSent', 'bytesSent']),
                    { codec: codecOf(s) });
            } else if (s.type === 'remote-inbound-rtp' && s.kind === 'audio') {
                remoteIn = pick(s, ['packetsLost', 'fractionLost', 'roundTripTime', 'jitter']);
            } else if (s.type === 'transport') {
                transport = pick(s, ['dtlsState', 'iceState', 'dtlsRole', 'srtpCipher',
                    'dtlsCipher', 'tlsVersion', 'selectedCandidatePairChanges']);
                const p = s.selectedCandidatePairId && byId.get(s.selectedCandidatePairId);
                if (p) {
                    pair = Object.assign(pick(p, ['state', 'nominated', 'bytesSent',
                        'bytesReceived', 'currentRoundTripTime']), {
                        local: candidate(byId.get(p.localCandidateId)),
                        remote: candidate(byId.get(p.remoteCandidateId)),
                    });
                }
            }
        });
        return {
            id: call.id, connection_state: pc.connectionState,
            ice_state: pc.iceConnectionState, signaling_state: pc.signalingState,
            inbound, outbound, remote_inbound: remoteIn, transport, pair,
        };
    }

    // --- commands -------------------------------------------------------------------------
    const commands = {
        async start(c) {
            if (st.ua) {
                throw new Error('already started');
            }
            for (const k of ['uri', 'socket']) {
                if (!c[k]) {
                    throw new Error(`start needs "${k}"`);
                }
            }
            st.cfg = c;
            // The microphone: Chromium's fake device plays the driver's WAV in a loop. Echo
            // cancellation, noise suppression and gain control off: they would shape the
            // test tone (a steady sine is what noise suppression removes).
            const processing = c.audio_processing === true;
            st.mic = await navigator.mediaDevices.getUserMedia({
                audio: {
                    echoCancellation: processing, noiseSuppression: processing,
                    autoGainControl: processing,
                },
                video: false,
            });
            st.micProbe = new Probe(st.mic);
            const socket = new JsSIP.WebSocketInterface(c.socket);
            const config = { sockets: [socket], uri: c.uri, register: c.register !== false };
            for (const k of ['password', 'authorization_user', 'display_name', 'realm',
                'register_expires']) {
                if (c[k] !== undefined && c[k] !== null) {
                    config[k] = c[k];
                }
            }
            Object.assign(config, c.config || {});
            const ua = new JsSIP.UA(config);
            st.ua = ua;
            ua.on('connected', () => emit('connected'));
            ua.on('disconnected', e => emit('disconnected', {
                error: !!(e && e.error), code: e && e.code, reason: e && e.reason,
            }));
            ua.on('registered', e => emit('registered', { status: statusOf(e.response) }));
            ua.on('unregistered', e => emit('unregistered', { status: statusOf(e && e.response) }));
            ua.on('registrationFailed', e => emit('registration_failed', {
                cause: e.cause, status: statusOf(e.response),
            }));
            ua.on('newMessage', e => {
                if (e.originator !== 'remote') {
                    return;   // ours: reported by sendMessage's handlers
                }
                emit('message_in', {
                    from: e.request.from.uri.toString(), body: e.request.body,
                    content_type: e.request.getHeader('Content-Type'),
                });
            });
            ua.on('newRTCSession', e => {
                if (e.originator === 'remote') {
                    watchSession(e.session, 'incoming', e.request);
                }
                // outgoing ones: call() watches them (and says call_out)
            });
            ua.start();
            return { jssip: JsSIP.version, mic: st.mic.getAudioTracks().map(t => t.label) };
        },

        register() {
            st.ua.register();
        },

        unregister() {
            st.ua.unregister();
        },

        call(c) {
            const opts = callMedia();
            if (c.extra_headers) {
                opts.extraHeaders = c.extra_headers;
            }
            if (c.video) {        // an m=video line too (receive only: no camera needed)
                opts.rtcOfferConstraints = { offerToReceiveVideo: true };
            }
            let call = null;
            // JsSIP creates the session's RTCPeerConnection inside ua.call() and says
            // newRTCSession before returning: watch it from that event, so no early event
            // (sdp, progress) is missed.
            const watch = e => {
                if (e.originator === 'local') {
                    call = watchSession(e.session, 'outgoing');
                    call.local = opts.mediaStream || null;
                    call.trickle = !!c.trickle;
                }
            };
            st.ua.once('newRTCSession', watch);
            let session;
            try {
                session = st.ua.call(c.to, opts);
            } finally {
                st.ua.removeListener('newRTCSession', watch);
            }
            if (!call) {
                call = watchSession(session, 'outgoing');
                call.local = opts.mediaStream || null;
            }
            emit('call_out', { id: session.id, to: c.to });
            return { id: session.id };
        },

        answer(c) {
            const call = findCall(c.id);
            const opts = callMedia();
            call.local = opts.mediaStream || null;
            call.session.answer(opts);
            return { id: call.id };
        },

        reject(c) {
            const call = findCall(c.id);
            call.rejectStatus = c.status || 486;
            call.session.terminate({ status_code: call.rejectStatus, reason_phrase: c.reason });
        },

        hangup(c) {
            findCall(c.id).session.terminate();
        },

        hold(c) {
            if (!findCall(c.id).session.hold()) {
                throw new Error('hold refused (call state, or already on hold)');
            }
        },

        unhold(c) {
            if (!findCall(c.id).session.unhold()) {
                throw new Error('unhold refused (call state, or not on hold)');
            }
        },

        mute(c) {
            findCall(c.id).session.mute({ audio: true });
        },

        unmute(c) {
            findCall(c.id).session.unmute({ audio: true });
        },

        dtmf(c) {
            const call = findCall(c.id);
            const transport = (c.transport || 'RFC2833').toUpperCase();
            if (transport === 'RFC2833' && call.pc && !call.dtmfHooked) {
                const sender = call.pc.getSenders().find(s => s.track && s.track.kind === 'audio');
                if (sender && sender.dtmf) {
                    call.dtmfHooked = true;
                    sender.dtmf.addEventListener('tonechange',
                        e => emit('dtmf_tone', { id: call.id, tone: e.tone }));
                }
            }
            const opts = { transportType: transport };
            if (c.duration) {
                opts.duration = c.duration;
            }
            if (c.gap) {
                opts.interToneGap = c.gap;
            }
            call.session.sendDTMF(String(c.tones), opts);
        },

        message(c) {
            st.ua.sendMessage(c.to, c.body || '', {
                contentType: c.content_type || 'text/plain',
                eventHandlers: {
                    succeeded: e => emit('message_sent', { to: c.to, status: statusOf(e.response) }),
                    failed: e => emit('message_failed', {
                        to: c.to, cause: e.cause, status: statusOf(e.response),
                    }),
                },
            });
        },

        info(c) {
            findCall(c.id).session.sendInfo(c.content_type || 'text/plain', c.body || '');
        },

        measure(c) {
            if ((c.which || 'remote') === 'local') {
                if (!st.micProbe) {
                    throw new Error('no microphone yet (start first)');
                }
                return st.micProbe.measure(c.freqs);
            }
            const call = findCall(c.id);
            if (!call.probe) {
                // No remote track yet (or any more): silence, said so, so that a test
                // polling for a tone right after "confirmed" just polls on.
                const tones = {};
                for (const f of c.freqs || []) {
                    tones[String(f)] = { dbfs: -120, share: 0, min_share: 0, max_share: 0 };
                }
                return { id: call.id, track: false, rms_dbfs: -120, freq: null, tones };
            }
            return Object.assign({ id: call.id, track: true }, call.probe.measure(c.freqs));
        },

        stats(c) {
            return stats(findCall(c.id));
        },

        sdp(c) {
            const pc = findCall(c.id).pc;
            return {
                local: pc && pc.localDescription ? pc.localDescription.sdp : null,
                remote: pc && pc.remoteDescription ? pc.remoteDescription.sdp : null,
            };
        },

        restart_ice(c) {
            const call = findCall(c.id);
            if (!call.session.renegotiate({ rtcOfferConstraints: { iceRestart: true } })) {
                throw new Error('restart_ice: JsSIP refused to renegotiate now');
            }
            return {};
        },

        async echo(c) {
            const call = findCall(c.id);
            const pc = call.pc;
            const rx = pc && pc.getReceivers().find(r => r.track && r.track.kind === 'audio');
            const tx = pc && pc.getSenders().find(x => x.track && x.track.kind === 'audio');
            if (!rx || !tx) {
                throw new Error('echo: the call has no audio receiver and sender yet');
            }
            await tx.replaceTrack(rx.track);
            return {};
        },

        tamper(c) {
            st.tamper = { fingerprint: !!c.fingerprint, ice_pwd: !!c.ice_pwd,
                          setup: c.setup ? String(c.setup) : '' };
            return {};
        },

        calls() {
            return [...st.calls.values()].map(x => ({
                id: x.id, direction: x.direction, status: x.session.status,
            }));
        },

        eval(c) {
            return (0, eval)(c.expr);   // eslint-disable-line no-eval
        },

        // UA.stop() un-REGISTERs, ends open calls and closes the socket 2 s later (at
        // once if it can): resolves on "disconnected", or after STOP_TIMEOUT_MS.
        stop() {
            const ua = st.ua;
            if (!ua) {
                return {};
            }
            st.ua = null;
            return new Promise(resolve => {
                const timer = setTimeout(() => resolve({ timeout: true }), STOP_TIMEOUT_MS);
                ua.on('disconnected', () => {
                    clearTimeout(timer);
                    resolve({});
                });
                ua.stop();
            });
        },
    };

    window.lab = {
        version: JsSIP && JsSIP.version,
        async cmd(name, args) {
            const fn = commands[name];
            if (!fn) {
                throw new Error(`unknown command ${name} (known: ${Object.keys(commands).join(', ')})`);
            }
            if (!['start', 'stop', 'eval'].includes(name) && !st.ua) {
                throw new Error('not started');
            }
            const result = await fn(args || {});
            return result === undefined ? null : result;
        },
        debug(on) {
            if (on) {
                JsSIP.debug.enable('JsSIP:*');   // to the console, which the driver logs
            } else {
                JsSIP.debug.disable();
            }
        },
    };
})();
