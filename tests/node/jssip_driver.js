#!/usr/bin/env node
'use strict';
/*
 * One JsSIP user agent driven by JSON lines: a real web-phone SIP stack for ttyphone's test
 * lab, without a browser (tests/lib/ttylab_jssip.py starts and drives it).
 *
 *   node jssip_driver.js [--debug]      # --debug (or JSSIP_DEBUG=1): JsSIP's log on stderr
 *
 * stdin, one command per line:
 *   {"cmd":"start","uri":"sip:alice@127.0.0.1:5060","password":"..","socket":"wss://..",
 *    "authorization_user":"alice","ca_file":"/path/ca.pem","register":true,
 *    "display_name":"..","register_expires":600,"config":{..more JsSIP UA config..}}
 *   {"cmd":"message","to":"sip:bob@..","body":"hi","content_type":"text/plain"}
 *   {"cmd":"call","to":"sip:bob@.."}            -> its events carry "id"
 *   {"cmd":"answer"}  {"cmd":"reject","status":486}  {"cmd":"hangup"}
 *                                               ("id": a call's id, else the newest call)
 *   {"cmd":"stop"}                              un-register, close, exit (as on stdin EOF)
 * stdout, one event per line (nothing else is ever written there):
 *   ready, connected, disconnected{error}, registered{status}, unregistered,
 *   registration_failed{cause,status}, message_in{from,body,content_type}, message_sent,
 *   message_failed{cause,status}, call_in{id,from}, call_out{id,to}, call_progress{status},
 *   call_accepted{status}, call_confirmed, call_failed{cause,status,originator},
 *   call_ended{cause,originator}, error{cmd,message}, stopped
 * "cause" is JsSIP's cause string (JsSIP.C.causes: "Busy", "Authentication Error", ...),
 * "status" the SIP status code when a response was involved.
 */

const readline = require('readline');
require('./fake_rtc').install();  // before any call: JsSIP needs an RTCPeerConnection
const JsSIP = require('jssip');
const { NodeWebSocketInterface } = require('./ws_socket');

const STOP_TIMEOUT_MS = 5000;  // JsSIP itself waits up to 2 s for un-REGISTER and BYEs

let ua = null;
let socket = null;
const calls = new Map();  // id -> JsSIP RTCSession, newest last
let stopping = false;

function emit(event, fields = {}) {
    process.stdout.write(JSON.stringify(Object.assign({ event }, fields)) + '\n');
}

// The status code of the SIP response in a JsSIP event, if there is one.
function statusOf(msg) {
    return msg && typeof msg.status_code === 'number' ? msg.status_code : undefined;
}

function debugOn() {
    return process.argv.includes('--debug') || /^(1|yes|true|on)$/i.test(process.env.JSSIP_DEBUG || '');
}

function call(id) {
    if (id !== undefined) {
        const s = calls.get(id);
        if (!s) {
            throw new Error(`no call with id ${id}`);
        }
        return s;
    }
    const all = [...calls.values()];
    if (!all.length) {
        throw new Error('no call');
    }
    return all[all.length - 1];
}

// Events of one call, in or out. A locally refused call has no response: the status we
// sent is reported instead, so "reject 486" reads the same on both sides.
function watchCall(session) {
    const id = session.id;
    calls.set(id, session);
    session.on('progress', e => emit('call_progress', { id, status: statusOf(e.response) }));
    session.on('accepted', e => emit('call_accepted', { id, status: statusOf(e.response) }));
    session.on('confirmed', () => emit('call_confirmed', { id }));
    session.on('failed', e => {
        calls.delete(id);
        emit('call_failed', {
            id, cause: e.cause, originator: e.originator,
            status: statusOf(e.message) || session._ttyRejectStatus,
        });
    });
    session.on('ended', e => {
        calls.delete(id);
        emit('call_ended', { id, cause: e.cause, originator: e.originator });
    });
}

// No audio devices here: the stand-in RTCPeerConnection (fake_rtc.js) makes the SDP.
const MEDIA = { mediaConstraints: { audio: false, video: false } };

const commands = {
    start(c) {
        if (ua) {
            throw new Error('already started');
        }
        for (const k of ['uri', 'socket']) {
            if (!c[k]) {
                throw new Error(`start needs "${k}"`);
            }
        }
        socket = new NodeWebSocketInterface(c.socket, { caFile: c.ca_file || null });
        const config = { sockets: [socket], uri: c.uri, register: c.register !== false };
        for (const k of ['password', 'authorization_user', 'display_name', 'realm',
            'register_expires']) {
            if (c[k] !== undefined && c[k] !== null) {
                config[k] = c[k];
            }
        }
        Object.assign(config, c.config || {});
        ua = new JsSIP.UA(config);
        ua.on('connected', () => emit('connected'));
        // reason: why the socket failed (a TLS verification error, ECONNREFUSED...).
        ua.on('disconnected', e => emit('disconnected', e && e.error ? {
            error: true, reason: socket.lastError || undefined,
        } : { error: false }));
        ua.on('registered', e => emit('registered', { status: statusOf(e.response) }));
        ua.on('unregistered', e => emit('unregistered', { status: statusOf(e && e.response) }));
        ua.on('registrationFailed', e => emit('registration_failed', {
            cause: e.cause, status: statusOf(e.response),
        }));
        ua.on('newMessage', e => {
            if (e.originator !== 'remote') {
                return;  // ours: reported by sendMessage's handlers below
            }
            emit('message_in', {
                from: e.request.from.uri.toString(), body: e.request.body,
                content_type: e.request.getHeader('Content-Type'),
            });
        });
        ua.on('newRTCSession', e => {
            const s = e.session;
            watchCall(s);
            if (e.originator === 'remote') {
                emit('call_in', { id: s.id, from: s.remote_identity.uri.toString() });
            }
        });
        ua.start();
    },

    message(c) {
        ua.sendMessage(c.to, c.body || '', {
            contentType: c.content_type || 'text/plain',
            eventHandlers: {
                succeeded: e => emit('message_sent', { to: c.to, status: statusOf(e.response) }),
                failed: e => emit('message_failed', {
                    to: c.to, cause: e.cause, status: statusOf(e.response),
                }),
            },
        });
    },

    call(c) {
        const s = ua.call(c.to, MEDIA);
        emit('call_out', { id: s.id, to: c.to });
    },

    answer(c) {
        call(c.id).answer(MEDIA);
    },

    reject(c) {
        const s = call(c.id);
        s._ttyRejectStatus = c.status || 486;
        s.terminate({ status_code: s._ttyRejectStatus, reason_phrase: c.reason });
    },

    hangup(c) {
        call(c.id).terminate();
    },

    stop() {
        stop();
    },
};

function stop() {
    if (stopping) {
        return;
    }
    stopping = true;
    const done = () => {
        emit('stopped');
        process.exit(0);
    };
    if (!ua) {
        done();
        return;
    }
    ua.on('disconnected', done);
    setTimeout(done, STOP_TIMEOUT_MS).unref();
    // UA.stop() sends the un-REGISTER (and BYE/CANCEL for open calls) and then closes the
    // WebSocket 2 s later whatever happened. Once the un-REGISTER is answered, if no call
    // was open, close the WebSocket ourselves (a clean close frame, as JsSIP would) so that
    // every test does not wait those 2 s per UA.
    const hadCalls = calls.size > 0;
    const closeEarly = () => {
        if (hadCalls || !socket || !socket._ws) {
            return;
        }
        const raw = socket._ws;
        raw.once('close', done);
        raw.close(1000);
    };
    ua.on('unregistered', closeEarly);
    ua.on('registrationFailed', closeEarly);
    const wasRegistered = ua.isRegistered();
    ua.stop();
    if (!wasRegistered) {
        closeEarly();
    }
}

function main() {
    if (debugOn()) {
        JsSIP.debug.enable('JsSIP:*');  // the debug package writes to stderr
    } else {
        JsSIP.debug.disable();
    }
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', line => {
        if (!line.trim()) {
            return;
        }
        let c;
        try {
            c = JSON.parse(line);
        } catch (err) {
            emit('error', { message: `not JSON: ${err.message}` });
            return;
        }
        const fn = commands[c && c.cmd];
        try {
            if (!fn) {
                throw new Error(`unknown command (known: ${Object.keys(commands).join(', ')})`);
            }
            if (c.cmd !== 'start' && c.cmd !== 'stop' && !ua) {
                throw new Error('not started');
            }
            fn(c);
        } catch (err) {
            emit('error', { cmd: c && c.cmd, message: err.message });
        }
    });
    rl.on('close', stop);
    emit('ready', { jssip: JsSIP.version, node: process.version });
}

main();
