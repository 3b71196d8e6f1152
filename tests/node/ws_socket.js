'use strict';
/*
 * JsSIP's WebSocketInterface on top of the npm `ws` package.
 *
 * JsSIP's own socket calls the browser's `new WebSocket(url, 'sip')`, which Node (20) does
 * not have. This subclass keeps everything JsSIP's socket does (its Via transport WS/WSS,
 * its sip_uri, the event plumbing into JsSIP's Transport) and only replaces connect(), so
 * that the UA under test is JsSIP's code, not ours. `ws` exposes the same browser-style
 * API (onopen/onclose/onmessage/onerror, readyState, OPEN, CONNECTING).
 *
 * TLS: wss:// verifies the server's certificate and name as a browser does. A lab CA is
 * trusted only when its file is given (caFile): nothing here turns verification off.
 */

const fs = require('fs');
const JsSIP = require('jssip');
const WebSocket = require('ws');

class NodeWebSocketInterface extends JsSIP.WebSocketInterface {
    constructor(url, { caFile = null } = {}) {
        super(url);
        this._wsOptions = {};
        if (caFile) {
            this._wsOptions.ca = fs.readFileSync(caFile);
        }
        this.lastError = null;  // why the last connection failed (a TLS error, ECONNREFUSED)
    }

    connect() {
        if (this.isConnected() || this.isConnecting()) {
            return;
        }
        if (this._ws) {
            this.disconnect();
        }
        try {
            this._ws = new WebSocket(this._url, 'sip', this._wsOptions);
            this._ws.binaryType = 'arraybuffer';
            this._ws.onopen = () => {
                this.lastError = null;
                this._onOpen();
            };
            this._ws.onclose = this._onClose.bind(this);
            this._ws.onmessage = this._onMessage.bind(this);
            this._ws.onerror = (e) => {
                this.lastError = (e && (e.message || (e.error && e.error.message))) || String(e);
                this._onError(e);
            };
        } catch (error) {
            this.lastError = error.message;
            this._onError(error);
        }
    }
}

module.exports = { NodeWebSocketInterface };
