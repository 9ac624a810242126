// An independent client side of the OpenWork pairing protocol (docs/pairing-protocol.md),
// written from the spec with @noble/curves and node's crypto, as OpenWork's TypeScript
// client would be. Pairs by typed code, waits for the owner, prints the result as JSON.
//
//   node pair-cpace.mjs --url https://127.0.0.1:8787 --code 123456 [--name N] [--platform P]

import { RistrettoPoint } from "@noble/curves/ed25519";
import crypto from "node:crypto";
import https from "node:https";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) =>
    arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));
const name = args.name ?? "JS client";
const platform = args.platform ?? "node";

const DSI = Buffer.from("CPaceRistretto255");
const CI = Buffer.from("openwork-pair-v1");
const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

// prepend_len: LEB128 length, then the bytes
function lv(bytes) {
  const out = [];
  let n = bytes.length;
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.concat([Buffer.from(out), Buffer.from(bytes)]);
}
const sha512 = (...parts) => crypto.createHash("sha512").update(Buffer.concat(parts)).digest();
const hmac512 = (key, data) => crypto.createHmac("sha512", key).update(data).digest();
const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const unb64 = (text) => Buffer.from(text, "base64url");

function generator(password, sid) {
  const zpad = Math.max(0, 128 - lv(password).length - lv(DSI).length - 1);
  const genStr = Buffer.concat([lv(DSI), lv(password), lv(Buffer.alloc(zpad)), lv(CI), lv(sid)]);
  return RistrettoPoint.hashToCurve(sha512(genStr));
}

function randomScalar() {
  const wide = BigInt("0x" + crypto.randomBytes(64).toString("hex")) % ORDER;
  return wide === 0n ? 1n : wide;
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
let seenFingerprint = null;

function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, args.url);
    const data = body ? Buffer.from(JSON.stringify(body)) : null;
    const req = https.request(url, {
      method, agent, rejectUnauthorized: false, // the PAKE checks the certificate instead
      headers: { ...headers, ...(data ? { "content-type": "application/json" } : {}) },
    }, (res) => {
      const certificate = res.socket.getPeerCertificate(true);
      if (certificate?.raw) {
        const spki = new crypto.X509Certificate(certificate.raw).publicKey
          .export({ type: "spki", format: "der" });
        seenFingerprint = crypto.createHash("sha256").update(spki).digest("hex");
      }
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null });
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

const password = Buffer.from(args.code.replace(/[ -]/g, ""));
const sid = crypto.randomBytes(16);
const g = generator(password, sid);
const scalar = randomScalar();
const ya = g.multiply(scalar).toRawBytes();

const started = await request("POST", "/pair/start", {
  v: 1, method: "code", sid: b64(sid), name, platform, share: b64(ya),
});
if (started.status !== 200) fail(`start: ${started.status} ${started.body?.message}`);

const yb = unb64(started.body.share);
let k;
try {
  const hostPoint = RistrettoPoint.fromHex(yb);
  if (hostPoint.equals(RistrettoPoint.ZERO)) throw new Error("identity");
  k = hostPoint.multiply(scalar);
  if (k.equals(RistrettoPoint.ZERO)) throw new Error("identity");
} catch (error) {
  fail(`the host's share is invalid: ${error.message}`);
}

const fingerprint = Buffer.from(seenFingerprint, "hex");
const ada = Buffer.concat([lv(fingerprint), lv(Buffer.from(name)), lv(Buffer.from(platform))]);
const adb = Buffer.concat([lv(fingerprint), lv(Buffer.from(started.body.name))]);
const isk = sha512(lv(Buffer.from("CPaceRistretto255_ISK")), lv(sid), lv(k.toRawBytes()),
  lv(ya), lv(ada), lv(yb), lv(adb));
const macKey = sha512(Buffer.from("CPaceMac"), sid, isk);
const ta = hmac512(macKey, Buffer.concat([lv(ya), lv(ada)]));
const tb = hmac512(macKey, Buffer.concat([lv(yb), lv(adb)]));
const boxKey = sha512(Buffer.from("OpenWorkTokenBox"), sid, isk).subarray(0, 32);

const id = started.body.id;
const confirmed = await request("POST", `/pair/${id}/confirm`, { confirm: b64(ta) });
if (confirmed.status !== 200) fail(`confirm: ${confirmed.status} ${confirmed.body?.message}`);
if (!crypto.timingSafeEqual(unb64(confirmed.body.confirm), tb))
  fail("the host could not prove it knows the code");

let answer;
for (;;) {
  answer = await request("GET", `/pair/${id}?wait=25`, null, { authorization: `Pair ${b64(ta)}` });
  if (answer.status !== 200) fail(`poll: ${answer.status} ${answer.body?.message}`);
  if (answer.body.status === "approved") break;
}

const box = unb64(answer.body.token.box);
const decipher = crypto.createDecipheriv("chacha20-poly1305", boxKey,
  unb64(answer.body.token.nonce), { authTagLength: 16 });
decipher.setAAD(Buffer.from(id), { plaintextLength: box.length - 16 });
decipher.setAuthTag(box.subarray(box.length - 16));
const token = Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()])
  .toString();

console.log(JSON.stringify({ token, device: answer.body.device, fingerprint: seenFingerprint }));
agent.destroy();
