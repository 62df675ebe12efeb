#!/usr/bin/env node
// A tiny echo backend for the nginx data plane's quickstart and tests (plain JS, no deps, so it runs
// anywhere node does and can be started detached by a dynamic provider without ts-node).
//
//   node echo-server.js --name NAME --port PORT [--host 127.0.0.1] [--pidfile FILE] [--portfile FILE]
//
// --port 0 picks a free port; --portfile receives the port actually bound (written after listening).
//
// Every request is answered 200 with JSON {name, method, path, headers, bodyLength}; `path` keeps the
// raw query string. GET /__seen returns {name, count, requests: [the last 1,000 requests]} — tests use it
// to check mirrors (a mirrored request is answered by nginx, not seen by the client). DELETE /__seen
// clears the record. SIGTERM/SIGINT close the server and remove the pid file.
//
// A WebSocket handshake (Upgrade: websocket) is accepted; each text message is answered with
// "<name>: <message>" — so a test sees which backend a WebSocket route reached.
"use strict";

const http = require("http");
const fs = require("fs");
const crypto = require("crypto");

/** RFC 6455: accept the handshake, then answer text frames (masked, as clients send them) until a close. */
function websocket(name, req, socket) {
    const key = req.headers["sec-websocket-key"];
    if (String(req.headers.upgrade).toLowerCase() !== "websocket" || !key) { socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"); return; }
    const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const frame = (opcode, payload) => {
        const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 255]);
        return Buffer.concat([head, payload]);
    };
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
            if (buf.length < 2) return;
            const opcode = buf[0] & 15;
            let len = buf[1] & 127, at = 2;
            if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
            else if (len === 127) { socket.destroy(); return; } // messages this large are not for an echo
            const masked = (buf[1] & 128) !== 0;
            if (buf.length < at + (masked ? 4 : 0) + len) return;
            const mask = masked ? buf.subarray(at, at + 4) : undefined;
            at += masked ? 4 : 0;
            const payload = Buffer.from(buf.subarray(at, at + len));
            if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
            buf = buf.subarray(at + len);
            if (opcode === 8) { socket.end(frame(8, payload)); return; }
            if (opcode === 9) socket.write(frame(10, payload));
            if (opcode === 1) socket.write(frame(1, Buffer.from(`${name}: ${payload.toString("utf8")}`)));
        }
    });
    socket.on("error", () => socket.destroy());
}

function parseArgs(argv) {
    const args = { host: "127.0.0.1" };
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i];
        const value = argv[i + 1];
        if (!key.startsWith("--") || value === undefined) {
            throw new Error(`echo-server: bad argument ${JSON.stringify(key)}; usage: --name NAME --port PORT [--host 127.0.0.1] [--pidfile FILE] [--portfile FILE]`);
        }
        args[key.slice(2)] = value;
        i++;
    }
    if (!args.name) throw new Error("echo-server: --name is required");
    const port = Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`echo-server: --port must be an integer 0..65535 (got ${JSON.stringify(args.port)})`);
    }
    args.port = port;
    return args;
}

const SEEN_LIMIT = 1000;

function main() {
    let args;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(e.message + "\n");
        process.exit(2);
    }
    const seen = [];   // ring of the last SEEN_LIMIT requests
    let count = 0;

    const server = http.createServer((req, res) => {
        let bodyLength = 0;
        req.on("data", (chunk) => { bodyLength += chunk.length; });
        req.on("end", () => {
            if (req.url === "/__seen" || req.url.startsWith("/__seen?")) {
                if (req.method === "DELETE") {
                    seen.length = 0;
                    count = 0;
                }
                const out = JSON.stringify({ name: args.name, count, requests: seen });
                res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
                res.end(out);
                return;
            }
            const record = { name: args.name, method: req.method, path: req.url, headers: req.headers, bodyLength };
            count++;
            seen.push(record);
            if (seen.length > SEEN_LIMIT) seen.shift();
            const out = JSON.stringify(record);
            res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
            res.end(out);
        });
    });
    server.keepAliveTimeout = 65000;   // longer than nginx's upstream keepalive so nginx closes first
    server.on("upgrade", (req, socket) => websocket(args.name, req, socket));

    const removePidfile = () => {
        if (!args.pidfile) return;
        try {
            // Only remove our own pid file: a restarted instance may already have replaced it.
            if (fs.readFileSync(args.pidfile, "utf8").trim() === String(process.pid)) fs.unlinkSync(args.pidfile);
        } catch { /* already gone */ }
    };
    const shutdown = () => {
        removePidfile();
        server.close(() => process.exit(0));
        server.closeAllConnections();
        setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);

    server.on("error", (e) => {
        process.stderr.write(`echo-server ${args.name}: ${e.message}\n`);
        removePidfile();
        process.exit(1);
    });
    server.listen(args.port, args.host, () => {
        const addr = server.address();
        // Port file first: whoever waits on the pid file may then read the port at once.
        if (args.portfile) fs.writeFileSync(args.portfile, String(addr.port) + "\n");
        if (args.pidfile) fs.writeFileSync(args.pidfile, String(process.pid) + "\n");
        process.stdout.write(`echo-server ${args.name} listening on ${addr.address}:${addr.port}\n`);
    });
}

main();
