// Runs one task through the gateway with the real @opencode-ai/sdk, as an OpenWork
// client would: subscribe to events, create a session, prompt it, and follow that
// session's events until it is idle. Prints a JSON summary; exits non-zero on failure.
//
//   node sdk-task.mjs BASE_URL TOKEN PROMPT
//
// The host's certificate is trusted through NODE_EXTRA_CA_CERTS.
import { createOpencodeClient } from "@opencode-ai/sdk";

const [baseUrl, token, prompt] = process.argv.slice(2);
const fail = (message) => {
  console.error(message);
  process.exit(1);
};
setTimeout(() => fail("no session.idle within 60 s"), 60_000).unref();

const client = createOpencodeClient({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

const events = await client.event.subscribe();
const iterator = events.stream[Symbol.asyncIterator]();
const connected = await iterator.next();
if (connected.value?.type !== "server.connected") fail(`first event: ${JSON.stringify(connected.value)}`);

const created = await client.session.create({ body: {} });
if (created.error) fail(`session.create: ${JSON.stringify(created.error)}`);
const session = created.data;

const sent = await client.session.promptAsync({
  path: { id: session.id },
  body: { parts: [{ type: "text", text: prompt }] },
});
if (sent.error) fail(`session.promptAsync: ${JSON.stringify(sent.error)}`);

const sessionOf = (event) =>
  event.properties?.sessionID ?? event.properties?.info?.sessionID ?? event.properties?.part?.sessionID;

const types = [];
let text = "";
for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
  const event = next.value;
  if (sessionOf(event) !== session.id) continue;
  types.push(event.type);
  if (event.type === "message.part.updated" && event.properties.part.type === "text")
    text = event.properties.part.text;
  if (event.type === "session.idle") break;
}

console.log(JSON.stringify({ sessionId: session.id, directory: session.directory, types, text }));
process.exit(0);
