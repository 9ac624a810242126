// Event fan-out clients for bench/bench.py: opens --sse event streams
// (GET /opencode/global/event) and --ws WebSockets (/host/events) to the gateway, counts the
// bench.tick events the stand-in runtime produces and measures each one's delivery latency
// from the CLOCK_MONOTONIC time in the event (node's hrtime is the same clock). Prints one
// JSON line after --seconds, ignoring the first --warmup seconds.
//
//   node fanout.mjs --url https://127.0.0.1:PORT --ca cert.pem --token owt_… --sse 50 --ws 50

import fs from "node:fs";
import https from "node:https";
import { createRequire } from "node:module";

// ws comes from the test clients' packages (tests/js, installed by build-aux/install-deps).
const WebSocket = createRequire(new URL("../tests/js/package.json", import.meta.url))("ws");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) =>
    arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));
const url = new URL(args.url);
const ca = fs.readFileSync(args.ca);
const seconds = Number(args.seconds ?? 10);
const warmup = Number(args.warmup ?? 2);
const agent = new https.Agent({ ca, keepAlive: true, maxSockets: Infinity });

let counting = false;
let events = 0;
let connected = 0;
const latencies = [];
const tick = /"bench\.tick","properties":\{"t":(\d+)\}/g;

function record(text) {
  if (!counting) return;
  const now = process.hrtime.bigint() / 1000n;
  for (const match of text.matchAll(tick)) {
    events++;
    if (latencies.length < 5_000_000) latencies.push(Number(now - BigInt(match[1])));
  }
}

function openSse() {
  const request = https.get({
    host: url.hostname, port: url.port, path: "/opencode/global/event", agent, ca,
    headers: { Authorization: `Bearer ${args.token}`, Accept: "text/event-stream" },
  }, (response) => {
    if (response.statusCode !== 200) throw new Error(`SSE answered ${response.statusCode}`);
    connected++;
    let pending = "";
    response.setEncoding("utf8");
    response.on("data", (chunk) => {
      // Count whole events only: an event may be split across chunks.
      pending += chunk;
      const end = pending.lastIndexOf("\n\n");
      if (end < 0) return;
      record(pending.slice(0, end));
      pending = pending.slice(end + 2);
    });
  });
  request.on("error", (error) => { console.error(`SSE: ${error.message}`); process.exit(1); });
}

function openWs() {
  const socket = new WebSocket(`wss://${url.host}/host/events`, {
    ca, headers: { Authorization: `Bearer ${args.token}` }, perMessageDeflate: false,
  });
  socket.on("open", () => connected++);
  socket.on("message", (data) => record(data.toString()));
  socket.on("error", (error) => { console.error(`WebSocket: ${error.message}`); process.exit(1); });
}

const sse = Number(args.sse ?? 0);
const ws = Number(args.ws ?? 0);
for (let i = 0; i < sse; i++) openSse();
for (let i = 0; i < ws; i++) openWs();

const deadline = Date.now() + 30_000;
while (connected < sse + ws) {
  if (Date.now() > deadline) { console.error(`only ${connected} of ${sse + ws} connected`); process.exit(1); }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
counting = true;
const started = process.hrtime.bigint();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
counting = false;
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;

latencies.sort((a, b) => a - b);
const pick = (q) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] / 1000 : null;
console.log(JSON.stringify({
  clients: sse + ws, events, seconds: elapsed, eventsPerSecond: events / elapsed,
  p50Ms: pick(0.5), p99Ms: pick(0.99),
}));
process.exit(0);
