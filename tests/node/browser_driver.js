#!/usr/bin/env node
'use strict';
/*
 * One JsSIP web phone in Debian's headless Chromium, driven by JSON lines: the browser lab
 * (tests/lib/ttylab_browser.py starts and drives it), with real WebRTC media.
 *
 *   node browser_driver.js [--audio TONE.wav] [--profile DIR] [--chromium PATH]
 *                          [--trust-spki BASE64]... [--insecure] [--debug]
 *
 *   --audio       the microphone: Chromium's fake capture device plays this WAV in a loop
 *                 (--use-file-for-fake-audio-capture); without it, Chromium's own beeps
 *   --profile     Chromium's --user-data-dir (default: a temp dir removed at exit)
 *   --chromium    the browser binary (default: $CHROMIUM, else Debian's
 *                 /usr/lib/chromium/chromium, else chromium on PATH)
 *   --trust-spki  accept a TLS certificate whose public key has this SHA-256 (base64),
 *                 e.g. the lab Kamailio's wss certificate: any other certificate error
 *                 stays an error, as in a real browser (--ignore-certificate-errors-spki-list)
 *   --insecure    accept every certificate (--ignore-certificate-errors)
 *   --debug       JsSIP's log (the page console) and all of Chromium's stderr on stderr
 *
 * stdin, one command per line: {"cmd": NAME, "seq": N, ...fields}. NAME is a page command
 * (browser_page.js lists them and their fields: start, register, call, answer, reject,
 * hangup, hold, unhold, mute, unmute, dtmf, message, info, measure, stats, sdp, calls,
 * eval) or "stop" (un-register, end calls, close Chromium, exit; as on stdin EOF).
 * stdout, one event per line (nothing else is ever written there):
 *   ready{jssip,chromium,node,startup_ms:{launch,page}} once the page is loaded;
 *   the page's events (browser_page.js); for every command exactly one reply,
 *   ok{cmd,seq,result} or error{cmd,seq,message}; page_error{message} (an uncaught
 *   exception in the page); browser_exited{code,signal} (Chromium went away by itself:
 *   the driver exits 1); stopped (last line, exit 0).
 *
 * Chromium dies with the driver: it runs in the driver's process group (not detached, as
 * puppeteer.launch() would make it, so the lab's group kill reaches it), it is spoken to
 * over --remote-debugging-pipe (it exits by itself when the driver's end of the pipe
 * closes, even if the driver is SIGKILLed), and the driver kills it on exit, on
 * SIGTERM/SIGINT/SIGHUP and on stdin EOF. Its crash handler (chrome_crashpad_handler)
 * daemonizes into a session of its own, out of any process group; it cannot be turned off
 * (--disable-crashpad-for-testing makes the network service crash at every start), so
 * Chromium's HOME and XDG dirs are in the profile dir: its crash database, and so its
 * command line, names that dir, and cleanup kills every process whose command line does
 * (the handlers also exit by themselves once Chromium is gone). Nothing is written outside
 * the profile dir.
 */

const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');
const puppeteer = require('puppeteer-core');
const { bundle } = require('./cjs_bundle');

const PAGE_FILES = { '/': 'browser_page.html', '/browser_page.html': 'browser_page.html',
    '/browser_page.js': 'browser_page.js' };
const CLOSE_TIMEOUT_MS = 3000;     // Browser.close over CDP, then SIGKILL
const PROTOCOL_TIMEOUT_MS = 30000; // one CDP call (a page command) at most

const t0 = Date.now();
let chromium = null;        // the ChildProcess
let browser = null;
let page = null;
let server = null;
let profileDir = null;
let ownProfile = false;
let stopping = false;

function emit(event, fields = {}) {
    process.stdout.write(JSON.stringify(Object.assign({ event }, fields)) + '\n');
}

function log(msg) {
    process.stderr.write(`[browser_driver ${((Date.now() - t0) / 1000).toFixed(3)}] ${msg}\n`);
}

function parseArgs(argv) {
    const o = { audio: null, profile: null, chromium: null, spki: [], insecure: false, debug: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) {
                throw new Error(`${a} needs a value`);
            }
            return argv[++i];
        };
        if (a === '--audio') {
            o.audio = path.resolve(val());
        } else if (a === '--profile') {
            o.profile = path.resolve(val());
        } else if (a === '--chromium') {
            o.chromium = val();
        } else if (a === '--trust-spki') {
            o.spki.push(val());
        } else if (a === '--insecure') {
            o.insecure = true;
        } else if (a === '--debug') {
            o.debug = true;
        } else {
            throw new Error(`unknown argument ${a}`);
        }
    }
    if (/^(1|yes|true|on)$/i.test(process.env.JSSIP_DEBUG || '')) {
        o.debug = true;
    }
    return o;
}

// Debian's /usr/bin/chromium is a shell wrapper that adds flags of its own from
// /etc/chromium.d (and on some machines prints a shell error while doing so): the binary
// behind it takes our flags as they are.
function chromiumPath(given) {
    const cands = [given, process.env.CHROMIUM, '/usr/lib/chromium/chromium'];
    for (const c of cands) {
        if (c && fs.existsSync(c)) {
            return c;
        }
    }
    for (const dir of (process.env.PATH || '').split(':')) {
        for (const name of ['chromium', 'chromium-browser']) {
            const p = path.join(dir, name);
            if (fs.existsSync(p)) {
                return p;
            }
        }
    }
    throw new Error('chromium not found (Debian: apt-get install chromium; or --chromium PATH)');
}

function chromiumArgs(o) {
    const args = [
        '--headless=new',
        '--no-sandbox',                    // we run as root; the sandbox refuses root
        '--remote-debugging-pipe',         // CDP on fds 3/4: no port, dies with the pipe
        `--user-data-dir=${profileDir}`,
        '--no-first-run', '--no-default-browser-check', '--disable-sync',
        '--disable-background-networking', '--disable-component-update',
        '--disable-default-apps', '--disable-extensions', '--metrics-recording-only',
        '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
        '--autoplay-policy=no-user-gesture-required',   // AudioContext without a click
        '--use-fake-ui-for-media-stream',  // grant getUserMedia without a prompt
        '--use-fake-device-for-media-stream',
        // ICE on 127.0.0.1 (Chromium skips loopback interfaces otherwise) and host
        // candidates with their addresses, not mDNS .local names (which a SIP peer such as
        // ttyphone cannot resolve).
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
        // No audio output device here: a fake one, so playout never waits for ALSA/Pulse.
        '--disable-audio-output',
        'about:blank',
    ];
    if (o.audio) {
        args.splice(args.length - 1, 0, `--use-file-for-fake-audio-capture=${o.audio}`);
    }
    if (o.spki.length) {
        args.splice(args.length - 1, 0, `--ignore-certificate-errors-spki-list=${o.spki.join(',')}`);
    }
    if (o.insecure) {
        args.splice(args.length - 1, 0, '--ignore-certificate-errors');
    }
    return args;
}

// puppeteer's ConnectionTransport over Chromium's --remote-debugging-pipe: JSON messages
// separated by NUL bytes, written to fd 3 and read from fd 4.
class PipeTransport {
    constructor(writable, readable) {
        this._w = writable;
        this._pending = [];
        this.onmessage = null;
        this.onclose = null;
        readable.on('data', chunk => this._data(chunk));
        readable.on('close', () => {
            if (this.onclose) {
                this.onclose();
            }
        });
        readable.on('error', () => {});
        writable.on('error', () => {});
    }

    _data(chunk) {
        let start = 0;
        let end;
        while ((end = chunk.indexOf(0, start)) !== -1) {
            this._pending.push(chunk.subarray(start, end));
            const msg = Buffer.concat(this._pending).toString('utf8');
            this._pending = [];
            start = end + 1;
            if (this.onmessage) {
                this.onmessage(msg);
            }
        }
        if (start < chunk.length) {
            this._pending.push(chunk.subarray(start));
        }
    }

    send(message) {
        this._w.write(message);
        this._w.write('\0');
    }

    close() {
        this._w.end();
    }
}

// The page and the JsSIP bundle, from this directory only, on 127.0.0.1 (a secure context,
// so getUserMedia and WebAudio work); anything else is a 404.
function startServer() {
    const jssip = bundle('jssip', { global: 'JsSIP' });
    server = http.createServer((req, res) => {
        const url = req.url.split('?')[0];
        let body = null;
        let type = 'text/html; charset=utf-8';
        if (url === '/favicon.ico') {
            res.writeHead(204);   // no icon, and no 404 in the page's console
            res.end();
            return;
        }
        if (url === '/jssip.js') {
            body = jssip;
            type = 'text/javascript; charset=utf-8';
        } else if (PAGE_FILES[url]) {
            body = fs.readFileSync(path.join(__dirname, PAGE_FILES[url]));
            if (url.endsWith('.js')) {
                type = 'text/javascript; charset=utf-8';
            }
        }
        if (body === null) {
            res.writeHead(404, { 'Content-Type': 'text/plain' });
            res.end('not here\n');
            return;
        }
        res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        res.end(body);
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
}

function forwardLines(stream, prefix, keep) {
    const rl = readline.createInterface({ input: stream });
    rl.on('line', line => {
        if (keep(line)) {
            process.stderr.write(`${prefix}${line}\n`);
        }
    });
}

async function launch(o) {
    if (o.profile) {
        profileDir = o.profile;
        fs.mkdirSync(profileDir, { recursive: true });
    } else {
        profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttylab-chromium-'));
        ownProfile = true;
    }
    const exe = chromiumPath(o.chromium);
    const args = chromiumArgs(o);
    log(`starting ${exe} ${args.join(' ')}`);
    const home = path.join(profileDir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const env = Object.assign({}, process.env, {
        HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
    });
    // No audio server: --disable-audio-output already gives Chromium a fake output, and a
    // lab PulseAudio in the environment is not the browser's.
    for (const k of ['PULSE_SERVER', 'PULSE_SINK', 'PULSE_SOURCE', 'PULSE_CLIENTCONFIG',
        'DBUS_SESSION_BUS_ADDRESS']) {
        delete env[k];
    }
    chromium = spawn(exe, args, {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], detached: false, env,
    });
    // Chromium's stderr: all of it with --debug, else only its error lines (":ERROR:",
    // "FATAL"), which say why a page or a helper process died; less D-Bus's, of which
    // there is none here (a dozen lines at every start).
    forwardLines(chromium.stdout, 'chromium: ', () => true);
    forwardLines(chromium.stderr, 'chromium: ', line => o.debug ||
        (/:ERROR:|FATAL|Check failed/.test(line) && !/ERROR:dbus\//.test(line)));
    chromium.on('exit', (code, signal) => {
        log(`chromium exited (code ${code}, signal ${signal})`);
        chromium.exited = true;
        if (!stopping) {
            emit('browser_exited', { code, signal });
            cleanup();
            process.exit(1);
        }
    });
    const transport = new PipeTransport(chromium.stdio[3], chromium.stdio[4]);
    browser = await puppeteer.connect({
        transport, defaultViewport: null, protocolTimeout: PROTOCOL_TIMEOUT_MS,
    });
    return browser.version();
}

async function openPage(o, port) {
    const pages = await browser.pages();
    page = pages.length ? pages[0] : await browser.newPage();
    page.on('console', msg => {
        // JsSIP's log only with --debug; the page's own warnings and errors always.
        if (o.debug || ['error', 'warn', 'warning'].includes(msg.type())) {
            process.stderr.write(`page ${msg.type()}: ${msg.text()}\n`);
        }
    });
    page.on('pageerror', err => {
        const message = (err && err.message) || String(err);
        process.stderr.write(`page error: ${message}\n`);
        emit('page_error', { message });
    });
    page.on('error', err => {   // the renderer crashed
        emit('page_error', { message: `page crashed: ${err && err.message}`, crashed: true });
    });
    // Events from the page: it calls window.ttyEmit(jsonText).
    await page.exposeFunction('ttyEmit', line => {
        process.stdout.write(line.replace(/\n/g, ' ') + '\n');   // JSON.stringify has no raw \n
    });
    await page.goto(`http://127.0.0.1:${port}/browser_page.html`, { waitUntil: 'load' });
    const ok = await page.evaluate(() => Boolean(window.lab && window.JsSIP));
    if (!ok) {
        throw new Error('the page loaded without window.lab or window.JsSIP');
    }
    await page.evaluate(on => window.lab.debug(on), o.debug);
    return page.evaluate(() => window.lab.version);
}

async function command(c) {
    const name = c && c.cmd;
    const seq = c && c.seq;
    try {
        if (name === 'stop') {
            await stop();
            return;
        }
        const result = await page.evaluate((n, args) => window.lab.cmd(n, args), name, c);
        emit('ok', { cmd: name, seq, result });
    } catch (err) {
        const message = ((err && err.message) || String(err)).replace(/^Error: /, '');
        emit('error', { cmd: name, seq, message });
    }
}

// PIDs of live (non-zombie) processes whose command line names `dir`: Chromium's
// helpers (--user-data-dir=DIR) and crash handlers (--database=DIR/home/...).
function processesNaming(dir) {
    const out = [];
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
            continue;
        }
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
            if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') {
                continue;
            }
            if (fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(dir)) {
                out.push(Number(entry));
            }
        } catch (err) { /* gone meanwhile */ }
    }
    return out;
}

function sleepSync(ms) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Synchronous (it also runs from process.on('exit')): SIGKILL Chromium and everything that
// names its profile dir, wait (up to 2 s) until they are gone, then remove our profile.
function cleanup() {
    if (chromium && !chromium.exited) {
        try {
            chromium.kill('SIGKILL');
        } catch (err) { /* gone */ }
    }
    if (profileDir) {
        for (let i = 0; i < 100; i++) {
            const left = processesNaming(profileDir);
            if (!left.length) {
                break;
            }
            for (const pid of left) {
                try {
                    process.kill(pid, 'SIGKILL');
                } catch (err) { /* gone */ }
            }
            sleepSync(20);
        }
    }
    if (ownProfile && profileDir) {
        try {
            fs.rmSync(profileDir, { recursive: true, force: true });
        } catch (err) { /* best effort */ }
        ownProfile = false;
    }
}

function waitExit(ms) {
    return new Promise(resolve => {
        if (!chromium || chromium.exited) {
            resolve(true);
            return;
        }
        const timer = setTimeout(() => resolve(false), ms);
        chromium.once('exit', () => {
            clearTimeout(timer);
            resolve(true);
        });
    });
}

async function stop() {
    if (stopping) {
        return;
    }
    stopping = true;
    try {
        if (page) {
            await Promise.race([
                page.evaluate(() => window.lab.cmd('stop')),
                new Promise(resolve => setTimeout(resolve, 5000)),
            ]);
        }
    } catch (err) {
        log(`page stop: ${err.message}`);
    }
    try {
        if (browser) {
            await Promise.race([browser.close(), new Promise(r => setTimeout(r, CLOSE_TIMEOUT_MS))]);
        }
    } catch (err) {
        log(`browser close: ${err.message}`);
    }
    if (!(await waitExit(CLOSE_TIMEOUT_MS))) {
        log('chromium did not exit: SIGKILL');
        chromium.kill('SIGKILL');
        await waitExit(CLOSE_TIMEOUT_MS);
    }
    if (server) {
        server.close();
    }
    cleanup();
    emit('stopped');
    process.exit(0);
}

async function main() {
    let o;
    try {
        o = parseArgs(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`browser_driver: ${err.message}\n`);
        process.exit(2);
    }
    process.on('exit', cleanup);
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
        process.on(sig, () => {
            log(`${sig}: killing chromium`);
            stopping = true;
            cleanup();
            process.exit(128 + os.constants.signals[sig]);
        });
    }
    // Commands are queued until the page is ready, then run one after another, each
    // getting its reply before the next starts (so replies come in command order).
    const queue = [];
    let ready = false;
    let running = false;
    const pump = async () => {
        if (running || !ready) {
            return;
        }
        running = true;
        while (queue.length) {
            await command(queue.shift());
        }
        running = false;
    };
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
        queue.push(c);
        pump();
    });
    rl.on('close', () => {
        queue.push({ cmd: 'stop' });
        if (ready) {
            pump();
        } else {
            stopping = true;   // EOF before we were up: no page to stop
            cleanup();
            process.exit(0);
        }
    });
    try {
        const port = await startServer();
        const version = await launch(o);
        const tLaunch = Date.now() - t0;
        const jssip = await openPage(o, port);
        const tPage = Date.now() - t0 - tLaunch;
        log(`up: ${version}, JsSIP ${jssip}, launch ${tLaunch} ms, page ${tPage} ms`);
        emit('ready', {
            jssip, chromium: version, node: process.version, port,
            startup_ms: { launch: tLaunch, page: tPage },
        });
        ready = true;
        pump();
    } catch (err) {
        process.stderr.write(`browser_driver: start-up failed: ${err.stack || err}\n`);
        emit('error', { cmd: 'launch', message: (err && err.message) || String(err) });
        stopping = true;
        cleanup();
        process.exit(1);
    }
}

main();
