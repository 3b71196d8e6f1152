'use strict';
/*
 * A minimal CommonJS bundler for the browser lab: turns the npm `jssip` package (CommonJS
 * files under node_modules/jssip/lib, no browser build since JsSIP 3.10) into one script
 * that a page can load, so that the page runs JsSIP's own published code.
 *
 *   const { bundle } = require('./cjs_bundle');
 *   const js = bundle('jssip', { global: 'JsSIP' });   // window.JsSIP = require('jssip')
 *
 * Why our own: the lab installs nothing but jssip, ws and puppeteer-core, and a bundler
 * from npm (browserify, esbuild...) would be another large dependency for 40 lines of work.
 * What it handles is what jssip and its dependencies (debug, ms, events, sdp-transform) use:
 * require() with a string literal, relative paths with or without ".js", ".json" files,
 * package "main" and a string "browser" field (debug's browser entry, which needs no Node
 * built-in). Anything else (a require() of a name it cannot find, e.g. a Node built-in)
 * fails at bundle time with the file that asked for it, never in the page.
 */

const fs = require('fs');
const path = require('path');

const REQUIRE_RE = /\brequire\(\s*(['"])([^'"]+)\1\s*\)/g;

function isFile(p) {
    try {
        return fs.statSync(p).isFile();
    } catch (err) {
        return false;
    }
}

// A file path as Node resolves it: exact, + .js, + .json, dir/index.js.
function resolveFile(p) {
    for (const cand of [p, p + '.js', p + '.json', path.join(p, 'index.js')]) {
        if (isFile(cand)) {
            return cand;
        }
    }
    return null;
}

// A package's browser entry (a string "browser" field), else its "main", else index.js.
function resolvePackage(name, fromDir) {
    let pkgJson;
    try {
        pkgJson = require.resolve(path.posix.join(name, 'package.json'), { paths: [fromDir] });
    } catch (err) {
        return null;
    }
    const dir = path.dirname(pkgJson);
    const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    const entry = typeof pkg.browser === 'string' ? pkg.browser : (pkg.main || 'index.js');
    return resolveFile(path.resolve(dir, entry));
}

function resolve(request, fromFile) {
    const dir = path.dirname(fromFile);
    if (request.startsWith('./') || request.startsWith('../') || request.startsWith('/')) {
        return resolveFile(path.resolve(dir, request));
    }
    return resolvePackage(request, dir);
}

/*
 * The bundle of package `name` (resolved from this directory) as a script that sets
 * window[opts.global] to what require(name) returns. opts.paths: where to look for the
 * package (default: this file's directory, i.e. tests/node/node_modules).
 */
function bundle(name, opts = {}) {
    const base = opts.paths ? opts.paths[0] : __dirname;
    const entry = resolvePackage(name, base);
    if (!entry) {
        throw new Error(`cannot bundle ${name}: not found from ${base} (npm install in tests/node)`);
    }
    const ids = new Map();   // absolute file -> module index
    const mods = [];         // {file, source, deps: {request: index}}
    const queue = [entry];
    ids.set(entry, 0);
    while (queue.length) {
        const file = queue.shift();
        const source = fs.readFileSync(file, 'utf8');
        const deps = {};
        if (!file.endsWith('.json')) {
            for (const m of source.matchAll(REQUIRE_RE)) {
                const request = m[2];
                const target = resolve(request, file);
                if (!target) {
                    throw new Error(`cannot bundle ${name}: ${path.relative(base, file)} ` +
                                    `requires "${request}", which is not found`);
                }
                if (!ids.has(target)) {
                    ids.set(target, ids.size);
                    queue.push(target);
                }
                deps[request] = ids.get(target);
            }
        }
        mods[ids.get(file)] = { file, source, deps };
    }
    // No "use strict" here: each module keeps its own mode (JsSIP's files declare it).
    const parts = ['(function () {', 'var defs = [];'];
    for (const m of mods) {
        const rel = path.relative(base, m.file);
        const body = m.file.endsWith('.json') ? 'module.exports = ' + m.source.trim() + ';' : m.source;
        parts.push(`// ---- ${rel}`);
        parts.push(`defs.push([function (require, module, exports) {\n${body}\n}, ` +
                   `${JSON.stringify(m.deps)}]);`);
    }
    parts.push(`
var cache = [];
function load(i) {
    if (cache[i]) {
        return cache[i].exports;
    }
    var module = cache[i] = { exports: {} };
    var deps = defs[i][1];
    defs[i][0].call(module.exports, function (request) {
        if (!(request in deps)) {
            throw new Error("bundle: no module " + request);
        }
        return load(deps[request]);
    }, module, module.exports);
    return module.exports;
}
window[${JSON.stringify(opts.global || name)}] = load(0);
})();
`);
    return parts.join('\n');
}

module.exports = { bundle };
