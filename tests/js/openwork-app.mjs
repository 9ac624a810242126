// What the stock OpenWork app does with a remote OpenWork server, transcribed from its
// client code (different-ai/openwork: apps/app/src/app/lib/openwork-server.ts,
// apps/desktop/electron/workspace-store.mjs and remote-workspace.mjs,
// react-app/domains/workspace/remote-workspace-diagnostics.ts, openwork-server-store.ts,
// apps/desktop/electron/runtime.mjs). Each step is a named check; the summary is printed as
// JSON and the exit status is 0 only if every check passed.
//
//   node openwork-app.mjs connect HOST_URL TOKEN [ORIGIN]   first connect, as the app does it
//   node openwork-app.mjs link LINK [ORIGIN]   a connect-remote link, parsed as the app does
//   node openwork-app.mjs reconnect HOST_URL TOKEN WORKSPACE_ID   after a restart
//   node openwork-app.mjs owner-token HOST_URL OWNER_TOKEN  mint and revoke, as the desktop does
//   node openwork-app.mjs sdk-task OPENCODE_BASE_URL TOKEN DIRECTORY   a task through the mount
//
// Node's fetch makes the platform's certificate checks: no pinning, no extra CA.

let [mode, rawHostUrl, token, extra] = process.argv.slice(2);
// The app's own timeouts, stretched only for a host under valgrind (OW_TIMEOUT_SCALE).
const scale = Number(process.env.OW_TIMEOUT_SCALE ?? "1") || 1;
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
const finish = (extraSummary = {}) => {
  console.log(JSON.stringify({ checks, ...extraSummary }));
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
};

// fetchWithTimeout: a timer races the request and aborts it ("Request timed out.").
async function requestJson(baseUrl, path, { method = "GET", token, hostToken, body, timeoutMs = 10_000, headers = {} } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs * scale);
  // buildHeaders: on every request, GETs included.
  const all = { "Content-Type": "application/json", ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  if (hostToken) all["X-OpenWork-Host-Token"] = hostToken;
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, "")}${path}`, {
      method,
      headers: all,
      body: body ? JSON.stringify(body) : undefined,
      signal: controller.signal,
    });
    const text = await response.text();
    // A 2xx body that is not JSON throws, as in the app.
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error(typeof json?.message === "string" ? json.message : response.statusText);
      error.status = response.status;
      error.code = typeof json?.code === "string" ? json.code : "request_failed";
      throw error;
    }
    return { status: response.status, json, headers: response.headers };
  } catch (error) {
    if (error.name === "AbortError") throw new Error("Request timed out.");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function attempt(name, run) {
  try {
    const detail = await run();
    check(name, detail !== false, detail);
    return detail;
  } catch (error) {
    check(name, false, `${error.code ?? ""} ${error.status ?? ""} ${error.message}`.trim());
    return null;
  }
}

// normalizeOpenworkServerUrl: a scheme is added when none was typed, trailing slashes go.
const normalizeOpenworkServerUrl = (input) => {
  const trimmed = input.trim();
  if (!trimmed) return null;
  const withScheme = /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
  return withScheme.replace(/\/+$/, "");
};

// parseOpenworkWorkspaceIdFromUrl (server/electron order: "workspace" before "w").
function parseWorkspaceId(url) {
  const segments = new URL(url).pathname.split("/").filter(Boolean);
  for (const mount of ["workspace", "w"]) {
    const at = segments.indexOf(mount);
    if (at >= 0 && segments[at + 1]) return decodeURIComponent(segments[at + 1]);
  }
  return null;
}

// stripOpenworkWorkspaceMount
function stripMount(url) {
  const parsed = new URL(url);
  const segments = parsed.pathname.split("/");
  for (const mount of ["workspace", "w"]) {
    const at = segments.indexOf(mount);
    if (at > 0 && segments[at + 1]) {
      parsed.pathname = segments.slice(0, at).join("/") || "/";
      break;
    }
  }
  return parsed.toString().replace(/\/+$/, "");
}

// selectOpenworkWorkspaceForConnection
function selectWorkspace(list, directory) {
  const items = Array.isArray(list?.items) ? list.items : Array.isArray(list?.workspaces) ? list.workspaces : [];
  if (items.length === 0) return null;
  if (directory) {
    const norm = (v) => (v ?? "").trim().replace(/\\/g, "/").replace(/\/+$/, "");
    return items.find((i) => [i.directory, i.path, i.opencode?.directory].some((d) => norm(d) === norm(directory))) ?? null;
  }
  return items.find((i) => i.id === String(list.activeId ?? "").trim()) ?? items[0];
}

const displayName = (item) => item.displayName || item.openworkWorkspaceName || item.name || item.id;

// testRemoteWorkspaceConnection: health (3 s, ok truthy), capabilities (6 s, any 2xx),
// then the workspace list (8 s) holding the workspace.
async function testConnection(hostUrl, workspaceId, prefix) {
  await attempt(`${prefix}: GET /health answers ok`, async () => {
    const { json } = await requestJson(hostUrl, "/health", { token, timeoutMs: 3_000 });
    return json?.ok ? `version ${json.version}` : false;
  });
  await attempt(`${prefix}: GET /capabilities takes the token`, async () => {
    await requestJson(hostUrl, "/capabilities", { token, timeoutMs: 6_000 });
    return "2xx";
  });
  await attempt(`${prefix}: GET /workspaces lists the workspace`, async () => {
    const { json } = await requestJson(hostUrl, "/workspaces", { token, timeoutMs: 8_000 });
    const item = json.items.find((i) => i.id === workspaceId);
    return item ? `Connected to ${displayName(item)}.` : false;
  });
}

// checkOpenworkServer, run by the status poller every 10 s: health, then capabilities.
async function pollOnce(hostUrl) {
  try {
    await requestJson(hostUrl, "/health", { token, timeoutMs: 3_000 });
  } catch (error) {
    return error.status === 401 || error.status === 403 ? "limited" : "disconnected";
  }
  try {
    await requestJson(hostUrl, "/capabilities", { token, timeoutMs: 6_000 });
    return "connected";
  } catch (error) {
    return error.status === 401 || error.status === 403 ? "limited" : "disconnected";
  }
}

// The routes a client that stored the workspace id comes back through.
async function mountedRoutes(hostUrl, workspaceId, prefix) {
  const mount = `/w/${encodeURIComponent(workspaceId)}`;
  await attempt(`${prefix}: GET ${mount}/health`, async () => {
    const { json } = await requestJson(hostUrl, `${mount}/health`, { token, timeoutMs: 3_000 });
    return json?.ok === true;
  });
  await attempt(`${prefix}: GET ${mount}/status names the workspace`, async () => {
    const { json } = await requestJson(hostUrl, `${mount}/status`, { token, timeoutMs: 6_000 });
    return json.workspaceCount === 1 && json.activeWorkspaceId === workspaceId && json.workspace?.id === workspaceId;
  });
  await attempt(`${prefix}: GET ${mount}/capabilities`, async () => {
    const { json } = await requestJson(hostUrl, `${mount}/capabilities`, { token, timeoutMs: 6_000 });
    return json.proxy?.opencode === true && typeof json.config?.write === "boolean";
  });
  await attempt(`${prefix}: GET ${mount}/workspaces is that one workspace`, async () => {
    const { json } = await requestJson(hostUrl, `${mount}/workspaces`, { token, timeoutMs: 8_000 });
    return json.items.length === 1 && json.items[0].id === workspaceId && json.activeId === workspaceId;
  });
  await attempt(`${prefix}: GET /workspace/<id>/opencode/global/health`, async () => {
    const { json } = await requestJson(hostUrl, `/workspace/${encodeURIComponent(workspaceId)}/opencode/global/health`, {
      token,
      timeoutMs: 3_000,
    });
    return json?.healthy === true ? `OpenCode ${json.version}` : false;
  });
}

async function connect(summary = {}) {
  const origin = extra;
  // createRemoteWorkspace: the URL must carry its scheme; the workspace comes from the URL
  // or, failing that, from GET /workspaces (8 s), activeId first.
  const baseUrl = rawHostUrl.trim();
  check("the host URL starts with http:// or https://", /^https?:\/\//.test(baseUrl), baseUrl);
  const hostUrl = stripMount(normalizeOpenworkServerUrl(baseUrl));
  let workspaceId = parseWorkspaceId(baseUrl);
  let workspaceName = null;
  let directory = null;
  if (!workspaceId) {
    const list = await attempt("discovery: GET /workspaces with the Bearer token", async () => {
      const { json } = await requestJson(hostUrl, "/workspaces", { token, timeoutMs: 8_000 });
      return json;
    });
    const item = selectWorkspace(list, null);
    check("discovery: a workspace is picked (activeId, else the first)", item?.id, item?.id);
    workspaceId = item?.id;
    workspaceName = item ? displayName(item) : null;
    directory = item?.directory ?? item?.path ?? null;
    check("discovery: both lists are served", Array.isArray(list?.workspaces) && list.workspaces.length === list.items.length);
  }
  if (!workspaceId) finish();

  await testConnection(hostUrl, workspaceId, "test connection");
  await mountedRoutes(hostUrl, workspaceId, "mount");

  const states = [];
  for (let i = 0; i < 2; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 10_000));
    states.push(await pollOnce(hostUrl));
  }
  check("the 10 s poll stays connected", states.every((s) => s === "connected"), states.join(","));

  await attempt("GET /status in OpenWork's shape", async () => {
    const { json } = await requestJson(hostUrl, "/status", { token, timeoutMs: 6_000 });
    return (
      json.ok === true && json.readOnly === false && json.workspaceCount >= 1 &&
      json.activeWorkspaceId === workspaceId && Array.isArray(json.authorizedRoots)
    );
  });
  await attempt("GET /whoami in OpenWork's shape", async () => {
    const { json } = await requestJson(hostUrl, "/whoami", { token, timeoutMs: 10_000 });
    return json.ok === true && json.actor?.type === "remote" && /^[0-9a-f]{64}$/.test(json.actor.tokenHash) && json.actor.scope;
  });

  if (origin) {
    // In the desktop app the event stream and the JSON polls are fetched from the window:
    // CORS requests, preflighted because of the Authorization header.
    for (const path of [`/workspace/${workspaceId}/opencode/event`, `/workspace/${workspaceId}/opencode/session`, "/workspaces"]) {
      await attempt(`CORS preflight for ${path.replace(workspaceId, "<id>")}`, async () => {
        const response = await fetch(`${hostUrl}${path}`, {
          method: "OPTIONS",
          headers: {
            Origin: origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type,x-opencode-directory",
          },
        });
        const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase();
        return (
          response.status === 204 && response.headers.get("access-control-allow-origin") === origin &&
          ["authorization", "content-type", "x-opencode-directory"].every((h) => allowed.includes(h))
        );
      });
    }
  }
  finish({ ...summary, hostUrl, workspaceId, workspaceName, directory, opencodeBaseUrl: `${hostUrl}/workspace/${workspaceId}/opencode` });
}

// parseRemoteConnectDeepLink (apps/app/src/app/lib/openwork-links.ts).
function parseRemoteConnectDeepLink(rawUrl) {
  let url;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  if (!["openwork:", "openwork-dev:", "https:", "http:"].includes(url.protocol.toLowerCase())) return null;
  const routeHost = url.hostname.toLowerCase();
  const routePath = url.pathname.replace(/^\/+/, "").toLowerCase();
  const segments = routePath.split("/").filter(Boolean);
  if (routeHost !== "connect-remote" && routePath !== "connect-remote" && segments.at(-1) !== "connect-remote")
    return null;
  const params = url.searchParams;
  const openworkHostUrl = normalizeOpenworkServerUrl(params.get("openworkHostUrl") ?? params.get("openworkUrl") ?? "");
  const openworkToken = (params.get("openworkToken") ?? params.get("accessToken") ?? "").trim();
  if (!openworkHostUrl || !openworkToken) return null;
  const workerName = (params.get("workerName") ?? "").trim();
  const workerId = (params.get("workerId") ?? "").trim();
  const displayName = workerName || (workerId ? `Worker ${workerId.slice(0, 8)}` : null);
  const autoConnectRaw = params.get("autoConnect") ?? params.get("bypassModal") ?? params.get("bypassAddWorkerModal") ?? "";
  const autoConnect = ["1", "true", "yes", "on"].includes(autoConnectRaw.trim().toLowerCase());
  return { openworkHostUrl, openworkToken, directory: null, displayName, autoConnect };
}

async function fromLink() {
  const parsed = parseRemoteConnectDeepLink(rawHostUrl);
  check("the app's deep-link parser takes the link", parsed !== null, rawHostUrl.replace(/owg_\w+/, "owg_…"));
  if (!parsed) finish();
  check("the link names the host (workerName)", parsed.displayName, parsed.displayName);
  check("the link connects without a prompt (autoConnect)", parsed.autoConnect);
  // createRemoteWorkspaceFlow: the very first request is the discovery, with the link's
  // token as Bearer; it must succeed, not wait for anyone.
  [rawHostUrl, token, extra] = [parsed.openworkHostUrl, parsed.openworkToken, token];
  await connect({ displayName: parsed.displayName });
}

async function reconnect() {
  const hostUrl = normalizeOpenworkServerUrl(rawHostUrl);
  const workspaceId = extra;
  await testConnection(hostUrl, workspaceId, "after restart");
  await mountedRoutes(hostUrl, workspaceId, "after restart");
  check("after restart: the poll is connected", (await pollOnce(hostUrl)) === "connected");
  finish();
}

// issueOwnerToken (apps/desktop/electron/runtime.mjs), then a revocation with upstream's
// routes and bodies.
async function ownerToken() {
  const hostUrl = normalizeOpenworkServerUrl(rawHostUrl);
  const created = await attempt("POST /tokens with X-OpenWork-Host-Token answers 201", async () => {
    const { status, json } = await requestJson(hostUrl, "/tokens", {
      method: "POST",
      hostToken: token,
      headers: { Accept: "application/json" },
      body: { scope: "owner", label: "OpenWork desktop owner token" },
      timeoutMs: 5_000,
    });
    return status === 201 ? json : false;
  });
  check(
    "the new token comes with its id, scope, createdAt and label",
    created && typeof created.token === "string" && created.token.trim() && typeof created.id === "string" &&
      created.scope === "owner" && typeof created.createdAt === "number" && created.label === "OpenWork desktop owner token"
  );
  if (!created) finish();
  await attempt("the new token is an owner's", async () => {
    const { json } = await requestJson(hostUrl, "/whoami", { token: created.token });
    return json.actor.scope === "owner";
  });
  await attempt("GET /tokens lists it", async () => {
    const { json } = await requestJson(hostUrl, "/tokens", { hostToken: token });
    return json.items.some((item) => item.id === created.id && item.label === created.label);
  });
  await attempt("a scope OpenWork does not have is 400 invalid_scope", async () => {
    try {
      await requestJson(hostUrl, "/tokens", { method: "POST", hostToken: token, body: { scope: "admin" } });
      return false;
    } catch (error) {
      return error.status === 400 && error.code === "invalid_scope";
    }
  });
  // The app's activateWorkspace (fire-and-forget, ?persist=true) with the owner's token.
  const { json: list } = await requestJson(hostUrl, "/workspaces", { token: created.token });
  await attempt("POST /workspaces/:id/activate makes it the active one", async () => {
    const id = list.items.at(-1).id;
    const { json } = await requestJson(hostUrl, `/workspaces/${encodeURIComponent(id)}/activate?persist=true`, {
      method: "POST",
      token: created.token,
    });
    const { json: after } = await requestJson(hostUrl, "/workspaces", { token: created.token });
    return json.activeId === id && json.workspace?.id === id && typeof json.persisted === "boolean" && after.activeId === id;
  });
  await attempt("DELETE /tokens/:id answers {ok: true}", async () => {
    const { json } = await requestJson(hostUrl, `/tokens/${encodeURIComponent(created.id)}`, { method: "DELETE", hostToken: token });
    return json?.ok === true;
  });
  await attempt("the revoked token is refused at once", async () => {
    try {
      await requestJson(hostUrl, "/whoami", { token: created.token });
      return false;
    } catch (error) {
      return error.status === 401 && error.code === "unauthorized";
    }
  });
  await attempt("revoking it again is 404 token_not_found", async () => {
    try {
      await requestJson(hostUrl, `/tokens/${encodeURIComponent(created.id)}`, { method: "DELETE", hostToken: token });
      return false;
    } catch (error) {
      return error.status === 404 && error.code === "token_not_found";
    }
  });
  finish();
}

// A task through the workspace's mount with the SDK the app uses (v2 client, the
// workspace's folder as its directory, the token as Bearer), as session-sync.ts and the
// session route do it: the event stream, session status, a session, a prompt, its answer.
async function sdkTask() {
  const { createOpencodeClient } = await import("@opencode-ai/sdk/v2/client");
  const [opencodeBaseUrl, , directory] = [normalizeOpenworkServerUrl(rawHostUrl), token, extra];
  const client = createOpencodeClient({ baseUrl: opencodeBaseUrl, directory, headers: { Authorization: `Bearer ${token}` } });
  const events = await client.event.subscribe();
  const iterator = events.stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  check("sdk: the event stream opens with server.connected", first.value?.type === "server.connected", first.value?.type);
  const status = await client.session.status();
  check("sdk: GET /session/status answers", !status.error && typeof status.data === "object", status.error);
  const health = await client.global.health();
  check("sdk: global.health is healthy", health.data?.healthy === true, health.error);
  const created = await client.session.create({});
  check("sdk: a session is created in the workspace", created.data?.directory === directory, created.error ?? created.data?.directory);
  if (!created.data) finish();
  const sessionID = created.data.id;
  const sent = await client.session.promptAsync({ sessionID, parts: [{ type: "text", text: "Say hello" }] });
  check("sdk: the prompt is taken", !sent.error, sent.error);
  let text = "";
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const event = next.value.payload ?? next.value;
    const of = event.properties?.sessionID ?? event.properties?.info?.sessionID ?? event.properties?.part?.sessionID;
    if (of !== sessionID) continue;
    if (event.type === "message.part.updated" && event.properties.part.type === "text") text = event.properties.part.text;
    if (event.type === "session.idle") break;
  }
  check("sdk: the fake LLM's answer streams in", text === "Hello from the fake LLM", text);
  const messages = await client.session.messages({ sessionID });
  check("sdk: the session's messages hold the answer", JSON.stringify(messages.data ?? []).includes("Hello from the fake LLM"));
  // deleteSession (openwork-server.ts): DELETE /workspace/<id>/sessions/<sid>, 12 s.
  const [hostUrl, workspaceId] = opencodeBaseUrl.match(/^(.*)\/workspace\/([^/]+)\/opencode$/).slice(1);
  await attempt("DELETE /workspace/:id/sessions/:sid answers {ok: true}", async () => {
    const { json } = await requestJson(hostUrl, `/workspace/${workspaceId}/sessions/${sessionID}`, {
      method: "DELETE",
      token,
      timeoutMs: 12_000,
    });
    return json?.ok === true;
  });
  const listed = await client.session.list();
  check("the deleted session is gone from the runtime", !(listed.data ?? []).some((s) => s.id === sessionID));
  finish({ sessionID });
}

setTimeout(() => {
  check(`finished within ${90 * scale} s`, false);
  finish();
}, 90_000 * scale).unref();

if (mode === "connect") await connect();
else if (mode === "link") await fromLink();
else if (mode === "reconnect") await reconnect();
else if (mode === "owner-token") await ownerToken();
else if (mode === "sdk-task") await sdkTask();
else {
  console.error("usage: node openwork-app.mjs connect|reconnect|owner-token|sdk-task URL TOKEN [ARG]");
  process.exit(2);
}
