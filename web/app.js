// The Cloister console: one page over the admin API (/admin/api/).
// Every value from the server is set as text, never as markup: model,
// server and tool names come from outside and could carry HTML.
"use strict";

const state = { csrf: null, scope: null, keyId: null, timer: null };

// ---- DOM -------------------------------------------------------------------

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const $ = (id) => document.getElementById(id);
const view = () => $("view");
function show(...nodes) { view().replaceChildren(...nodes); }

function table(head, rows, opts = {}) {
  return h("div", { class: "scroll" },
    h("table", { class: opts.class || null, "data-testid": opts.testid || null },
      h("thead", null, h("tr", null, head.map((c) => h("th", null, c)))),
      h("tbody", null, rows.length ? rows : h("tr", null,
        h("td", { colspan: head.length, class: "muted" }, opts.empty || "Nothing yet.")))));
}

const fmtTime = (t) => t ? t.replace("T", " ").replace("Z", " UTC") : "—";
// In a table: the day can go on a narrow screen, the time stays.
const timeCell = (t) => t ? h("span", null, h("span", { class: "day" }, t.slice(0, 10) + " "),
  t.slice(11, 19), h("span", { class: "day" }, " UTC")) : "—";
const fmtInt = (n) => Number(n).toLocaleString("en-US");
const fmtCredits = (n) => (Number(n) / 1e6).toLocaleString("en-US",
  { minimumFractionDigits: 2, maximumFractionDigits: 6 });
const apiName = (a) => ({ chat: "OpenAI Chat Completions", messages: "Anthropic Messages",
  responses: "OpenAI Responses" })[a] || a;
const fmtMs = (us) => (Number(us) / 1000).toFixed(us < 10000 ? 2 : 0) + " ms";
const badge = (ok, yes, no) => h("span", { class: "badge " + (ok ? "ok" : "bad") }, ok ? yes : no);

// ---- API -------------------------------------------------------------------

async function api(path, opts = {}) {
  const init = { method: opts.method || "GET", headers: {}, credentials: "same-origin" };
  if (opts.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  if (init.method !== "GET" && state.csrf) init.headers["X-CSRF-Token"] = state.csrf;
  const r = await fetch("/admin/api/" + path, init);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && path !== "session") { signedOut(); throw new Error("signed out"); }
  if (!r.ok) throw new Error((data && data.error && data.error.message) || ("HTTP " + r.status));
  return data;
}

function fail(where, e) {
  show(h("div", { class: "card" }, h("h1", null, where),
    h("p", { class: "error", role: "alert" }, String(e.message || e))));
}

// ---- sign-in ---------------------------------------------------------------

function signedOut() {
  state.csrf = state.scope = state.keyId = null;
  $("banner").hidden = true;
  clearInterval(state.timer);
  $("nav").hidden = true;
  $("signin").hidden = false;
  view().replaceChildren();
}

function signedIn(s) {
  state.csrf = s.csrf;
  state.scope = s.scope;
  state.keyId = s.key_id;
  $("signin").hidden = true;
  $("nav").hidden = false;
  document.body.classList.toggle("readonly", s.scope !== "admin");
  api("instance").then((inst) => {
    const b = $("banner");
    b.hidden = !inst.simulated;
    b.textContent = inst.simulated ? "SIMULATED TEE — this instance runs without confidential hardware; its evidence proves nothing." : "";
  }).catch(() => {});
}

async function signIn(ev) {
  ev.preventDefault();
  const key = $("signin-key").value.trim();
  $("signin-error").textContent = "";
  try {
    const r = await fetch("/admin/api/session", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ key }) });
    const d = await r.json();
    if (!r.ok) throw new Error(d.error ? d.error.message : "HTTP " + r.status);
    $("signin-key").value = "";
    signedIn(d);
    if (!location.hash || location.hash === "#/") location.hash = "#/instance";
    else route();
  } catch (e) {
    $("signin-error").textContent = "Sign-in failed: " + e.message;
  }
}

async function signOut() {
  try { await api("session", { method: "DELETE" }); } catch (e) { /* gone already */ }
  signedOut();
}

// ---- instance --------------------------------------------------------------

function hexLines(label, hex) {
  return h("div", { class: "kv" }, h("span", { class: "k" }, label), h("code", { class: "hex" }, hex || "—"));
}

async function viewInstance() {
  const d = await api("instance");
  const v = d.verification || {};
  const q = v.quote || {};
  const m = q.measurements || {};
  const rtmr = ["rtmr0", "rtmr1", "rtmr2", "rtmr3"].map((k) => m[k]).filter((x) => x);
  const steps = (v.steps || []).map((s) => h("li", { class: s.ok ? "ok" : "bad" },
    (s.ok ? "✓ " : "✗ ") + s.name + (s.detail ? " — " + s.detail : "")));
  show(
    h("div", { class: "card" },
      h("h1", null, "Instance"),
      d.simulated ? h("p", { class: "sim" }, "SIMULATED TEE: this evidence is signed by keys anyone can derive. It proves nothing about the hardware.") : null,
      h("div", { class: "grid" },
        h("div", { class: "kv" }, h("span", { class: "k" }, "TEE"), h("span", { "data-testid": "tee" },
          (d.simulated ? "simulated " : "") + (q.tee || d.tee || "?"))),
        h("div", { class: "kv" }, h("span", { class: "k" }, "Evidence"), badge(v.accepted, "verified", "NOT verified")),
        h("div", { class: "kv" }, h("span", { class: "k" }, "TCB status"), h("span", { "data-testid": "tcb" }, q.status || "—")),
        h("div", { class: "kv" }, h("span", { class: "k" }, "Advisories"), h("span", null, (q.advisory_ids || []).join(", ") || "none")),
        h("div", { class: "kv" }, h("span", { class: "k" }, "GPU"), h("span", null, v.gpu_status || "none")),
        h("div", { class: "kv" }, h("span", { class: "k" }, "Evidence age"), h("span", null, Math.round(d.evidence_age_s / 60) + " min (since " + fmtTime(d.evidence_time) + ")")),
      ),
      hexLines("MRTD", m.mrtd),
      rtmr.map((r, i) => hexLines("RTMR" + i, r)),
      hexLines("Instance key", v.public_key),
      hexLines("Evidence id", d.evidence_id),
    ),
    h("div", { class: "card" },
      h("h2", null, "Check it yourself"),
      h("p", null, "Download the evidence bundle and verify it on your own machine:"),
      h("p", null, h("a", { href: d.download, download: "", class: "button" }, "Download evidence")),
      h("pre", { class: "cmd", "data-testid": "verify-command" }, d.verify_command),
      h("h2", null, "This gateway's own check"),
      h("ul", { class: "steps" }, steps),
    ));
}

// ---- requests --------------------------------------------------------------

const filters = { key: "", model: "", status: "" };

async function viewRequests() {
  const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  const d = await api("requests" + (qs ? "?" + qs : ""));
  const rows = d.requests.map((r) => h("tr", { class: "click", onclick: () => { location.hash = "#/requests/" + r.id; } },
    h("td", null, timeCell(r.started)),
    h("td", null, h("a", { href: "#/requests/" + r.id }, r.id)),
    h("td", null, r.key_id), h("td", null, r.model), h("td", null, r.api), h("td", null, r.backend),
    h("td", null, badge(r.confidential, "confidential", "not confidential")),
    h("td", { class: "num" }, fmtInt(r.prompt_tokens) + " / " + fmtInt(r.completion_tokens)),
    h("td", { class: "num" }, fmtCredits(r.cost)),
    h("td", null, h("span", { class: "status " + r.status }, r.status)),
    h("td", { class: "num" }, fmtMs(r.latency_us))));
  const input = (name, ph) => h("input", { value: filters[name], placeholder: ph, "aria-label": ph,
    onchange: (e) => { filters[name] = e.target.value.trim(); route(); } });
  show(h("div", { class: "card" },
    h("h1", null, "Requests ", h("span", { class: "live" }, "live")),
    h("div", { class: "filters" }, input("key", "key id"), input("model", "model"), input("status", "status")),
    table(["Time", "Request", "Key", "Model", "API", "Backend", "Where", "Tokens in / out", "Cost", "Status", "Latency"], rows,
      { testid: "requests", empty: "No requests yet." })));
  state.timer = setInterval(() => { if (location.hash === "#/requests") refresh(); }, 3000);
}

async function refresh() {
  try { await viewRequests(); } catch (e) { /* next tick */ }
}

async function viewRequest(id) {
  const d = await api("requests/" + encodeURIComponent(id));
  const r = d.request;
  const rc = d.receipt;
  const parts = [h("div", { class: "card" },
    h("h1", null, "Request ", h("code", null, r.id)),
    h("div", { class: "grid" },
      ...[["Key", r.key_id], ["Model", r.model], ["API", apiName(r.api)], ["Backend", r.backend],
        ["Confidential", r.confidential === "tdx+gpu" ? "yes — inside this TD, on its confidential GPU" :
          r.confidential ? "yes — inside this TD" : "NO — not inside the attested boundary"],
        ["Tokens", fmtInt(r.prompt_tokens) + " in, " + fmtInt(r.completion_tokens) + " out, " + fmtInt(r.cached_tokens) + " cached"],
        ["Cost", fmtCredits(r.cost) + " (held " + fmtCredits(r.reserved) + ")"], ["Status", r.status],
        ["Started", fmtTime(r.started)], ["Latency", fmtMs(r.latency_us)]]
        .map(([k, v]) => h("div", { class: "kv" }, h("span", { class: "k" }, k), h("span", null, v)))))];
  if (!rc) {
    parts.push(h("div", { class: "card" }, h("h2", null, "Receipt"), h("p", null, "No receipt: the request did not complete.")));
  } else {
    const v = rc.verification;
    const blob = URL.createObjectURL(new Blob([rc.jws], { type: "application/jose" }));
    parts.push(h("div", { class: "card" },
      h("h2", null, "Receipt ", badge(v.verified, v.simulated ? "verified (simulated)" : "verified", "NOT verified")),
      h("p", { class: "muted" }, "Checked by this gateway against its evidence. The request and response bodies are not kept, so their hashes can only be checked by the client that holds them: ",
        h("code", null, "cloister verify receipt RECEIPT --evidence BUNDLE --request FILE --response FILE")),
      h("ol", { class: "steps", "data-testid": "receipt-steps" }, v.steps.map((s) => h("li", { class: s.ok ? "ok" : "bad" },
        (s.ok ? "✓ " : "✗ ") + s.name + (s.detail ? " — " + s.detail : "")))),
      v.claims ? h("pre", { class: "claims" }, JSON.stringify(v.claims, null, 2)) : null,
      h("p", null, h("a", { href: blob, download: r.id + ".jws", class: "button" }, "Download receipt (JWS)")),
      h("textarea", { class: "jws", readonly: true, rows: 4, "aria-label": "receipt" }, rc.jws)));
  }
  show(...parts);
}

// ---- tool calls ------------------------------------------------------------

async function decide(pin, approve) {
  await api("pins/" + (approve ? "approve" : "reject"), { method: "POST", body: { server: pin.server, tool: pin.tool } });
  route();
}

async function viewTools() {
  const [t, p] = await Promise.all([api("tools"), api("pins")]);
  const logs = t.logs.map((l) => h("li", { class: l.ok ? "ok" : "bad" }, l.ok
    ? "✓ " + l.file + ": " + fmtInt(l.entries) + " lines, " + l.checkpoints + " signed checkpoints, chain intact" + (l.closed ? ", closed" : "")
    : "✗ " + l.file + ": broken at line " + l.first_bad_line + " — " + l.why));
  const findings = (e) => (e.findings || []).map((f) => f.rule + " ×" + f.count + " → " + f.action).join(", ");
  const rows = t.entries.map((e) => h("tr", { class: "outcome-" + e.outcome },
    h("td", null, timeCell(e.time)), h("td", null, e.server ? e.server.id : ""),
    h("td", null, e.server ? e.server.trust : ""), h("td", null, e.direction),
    h("td", null, e.tool ? e.method + " " + e.tool : e.method),
    h("td", null, h("span", { class: "status " + e.outcome }, e.outcome)),
    h("td", null, findings(e) || "—", e.reason ? h("div", { class: "muted small" }, e.reason) : null),
    h("td", { class: "num" }, fmtMs(e.latency_us || 0))));
  const waiting = (s) => s === "new" || s === "changed" || s === "rejected";
  const pins = p.pins.map((x) => h("tr", null, h("td", null, x.server), h("td", null, x.tool || "(instructions)"),
    h("td", null, h("span", { class: "status " + x.state }, x.state)), h("td", null, fmtTime(x.changed || x.first_seen)),
    h("td", null, waiting(x.state) ? h("span", { class: "admin-only" },
      h("button", { type: "button", onclick: () => decide(x, true) }, "Approve"),
      x.state !== "rejected" ? h("button", { type: "button", class: "secondary", onclick: () => decide(x, false) }, "Reject") : null) : "")));
  show(
    h("div", { class: "card" }, h("h1", null, "Tool calls"),
      h("h2", null, "Audit log chain"), h("ul", { class: "steps", "data-testid": "audit-logs" }, logs.length ? logs : h("li", null, "No MCP audit log yet.")),
      table(["Time", "Server", "Trust", "Direction", "Call", "Decision", "DLP findings, reason", "Latency"], rows,
        { testid: "tool-calls", empty: "No tool calls yet." })),
    h("div", { class: "card" }, h("h2", null, "Pinned tools"),
      h("p", { class: "muted" }, "A tool whose definition changed, or that is new, is blocked until approved."),
      table(["Server", "Tool", "State", "Since", ""], pins, { testid: "pins", empty: "No pins yet." })));
}

// ---- credits ---------------------------------------------------------------

const PALETTE = ["#1f3a5f", "#3f7cac", "#95b8d1", "#e07a5f", "#81b29a", "#f2cc8f", "#6d597a", "#b56576"];

// Spend over time: one stacked bar per day, one colour per group (a model
// or a key), with a legend.  days: ["MM-DD"...]; data: Map group -> Map day -> cost.
function stackedChart(days, data, title, testid) {
  const w = 640, hgt = 200, pad = 28, ns = "http://www.w3.org/2000/svg";
  const groups = [...data.keys()];
  const total = (d) => groups.reduce((t, g) => t + (data.get(g).get(d) || 0), 0);
  const max = Math.max(1, ...days.map(total));
  const bw = days.length ? Math.min(56, (w - 2 * pad) / days.length) : 0;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  days.forEach((d, i) => {
    let y = hgt - pad;
    groups.forEach((g, k) => {
      const v = data.get(g).get(d) || 0;
      if (!v) return;
      const bh = (hgt - 2 * pad) * v / max;
      y -= bh;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", pad + i * bw + 2);
      r.setAttribute("y", y);
      r.setAttribute("width", Math.max(1, bw - 4));
      r.setAttribute("height", bh);
      r.setAttribute("fill", PALETTE[k % PALETTE.length]);
      const tt = document.createElementNS(ns, "title");
      tt.textContent = `${d} ${g}: ${fmtCredits(v)}`;
      r.append(tt);
      svg.append(r);
    });
    if (days.length <= 16 || i % Math.ceil(days.length / 8) === 0) {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", pad + i * bw + bw / 2);
      t.setAttribute("y", hgt - 8);
      t.setAttribute("text-anchor", "middle");
      t.textContent = d;
      svg.append(t);
    }
  });
  const top = document.createElementNS(ns, "text");
  top.setAttribute("x", 4);
  top.setAttribute("y", 14);
  top.textContent = fmtCredits(max);
  svg.append(top);
  const legend = h("ul", { class: "legend" }, groups.map((g, k) =>
    h("li", null, h("span", { class: "swatch c" + (k % PALETTE.length) }), g)));
  return h("figure", { "data-testid": testid }, svg, h("figcaption", null, title), legend);
}

async function viewCredits() {
  const [k, u] = await Promise.all([api("keys"), api("usage?days=30")]);
  const days = [], byKey = new Map(), perModel = new Map(), perKey = new Map();
  const since = Date.parse(u.since);
  for (let i = 0; i < u.days; i++) days.push(new Date(since + i * 86400000).toISOString().slice(5, 10));
  const names = new Map(k.keys.map((x) => [x.id, x.name]));
  const add = (m, g, d, v) => {
    if (!m.has(g)) m.set(g, new Map());
    m.get(g).set(d, (m.get(g).get(d) || 0) + v);
  };
  for (const s of u.spend) {
    const d = s.day.slice(5, 10);
    byKey.set(s.key_id, (byKey.get(s.key_id) || 0) + s.cost);
    add(perModel, s.model, d, s.cost);
    add(perKey, names.get(s.key_id) || s.key_id, d, s.cost);
  }
  const active = k.keys.filter((x) => !x.revoked);
  const balances = active.map((x) => h("tr", null, h("td", null, x.name), h("td", null, x.id), h("td", null, x.scope),
    h("td", { class: "num", "data-testid": "balance-" + x.id }, fmtCredits(x.credits)), h("td", { class: "num" }, fmtCredits(x.held)),
    h("td", { class: "num" }, fmtCredits(byKey.get(x.id) || 0))));
  const sel = h("select", { id: "topup-key", "aria-label": "key" }, active.map((x) => h("option", { value: x.id }, x.name + " (" + x.id + ")")));
  const amt = h("input", { id: "topup-amount", type: "number", min: "0.000001", step: "any", placeholder: "credits", "aria-label": "credits" });
  const msg = h("p", { class: "muted", role: "status" });
  const topup = h("form", { class: "row admin-only", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("credits", { method: "POST", body: { key_id: sel.value, amount: Math.round(Number(amt.value) * 1e6) } });
      route();
    } catch (err) { msg.textContent = err.message; }
  } }, sel, amt, h("button", { type: "submit" }, "Top up"), msg);
  show(
    h("div", { class: "card" }, h("h1", null, "Credits and usage"),
      h("p", { class: "muted" }, "Credits are shown in units (1 unit = 1,000,000 micro-units, the ledger's integers)."),
      table(["Key", "Id", "Scope", "Balance", "Held now", "Spent (30 d)"], balances, { testid: "balances" }), topup),
    h("div", { class: "card charts" },
      stackedChart(days, perModel, "Spend per model per day, last " + u.days + " days", "chart-model"),
      stackedChart(days, perKey, "Spend per key per day, last " + u.days + " days", "chart-key")),
    h("div", { class: "card" }, h("h2", null, "Top-ups"),
      table(["Time", "Key", "Amount"], u.topups.map((t) => h("tr", null, h("td", null, fmtTime(t.time)),
        h("td", null, t.key_id), h("td", { class: "num" }, fmtCredits(t.amount)))))));
}

// ---- keys ------------------------------------------------------------------

async function viewKeys() {
  const out = h("div", { id: "new-key", role: "status" });
  const name = h("input", { id: "key-name", placeholder: "name", required: true, "aria-label": "name" });
  const scope = h("select", { id: "key-scope", "aria-label": "scope" }, ["user", "read", "admin"].map((s) => h("option", { value: s }, s)));
  const create = h("form", { class: "row admin-only", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const d = await api("keys", { method: "POST", body: { name: name.value.trim(), scope: scope.value } });
      out.replaceChildren(h("div", { class: "once" }, h("p", null, "Key ", h("b", null, d.name), " (" + d.id + ") — copy it now, it is not shown again:"),
        h("code", { "data-testid": "new-key" }, d.key)));
      name.value = "";
      await listKeys();
    } catch (err) { out.textContent = err.message; }
  } }, name, scope, h("button", { type: "submit" }, "Create key"));
  const list = h("div", { id: "key-list" });
  async function listKeys() {
    const d = await api("keys");
    list.replaceChildren(table(["Name", "Id", "Scope", "Created", "Balance", "State", ""], d.keys.map((x) => h("tr", null,
      h("td", null, x.name), h("td", null, x.id), h("td", null, x.scope), h("td", null, fmtTime(x.created)),
      h("td", { class: "num" }, fmtCredits(x.credits)),
      h("td", null, x.revoked ? h("span", { class: "status revoked" }, "revoked") : "active"),
      h("td", null, !x.revoked && x.id !== state.keyId ? h("button", { type: "button", class: "secondary admin-only",
        "data-revoke": x.id, onclick: async () => {
          if (!confirm("Revoke key " + x.name + "? Requests with it fail at once.")) return;
          await api("keys/" + x.id + "/revoke", { method: "POST", body: {} });
          await listKeys();
        } }, "Revoke") : "")))));
  }
  show(h("div", { class: "card" }, h("h1", null, "Keys"),
    h("p", { class: "muted" }, "Keys are stored as hashes; a new key is shown once."), create, out, list));
  await listKeys();
}

// ---- workspaces ------------------------------------------------------------

async function stopWorkspace(id) {
  if (!confirm("Stop workspace " + id + "? Its key is revoked and its sockets close at once.")) return;
  await api("workspaces/" + encodeURIComponent(id), { method: "DELETE" });
  route();
}

function workspaceCard(w) {
  const e = w.egress || {};
  const m = w.manifest || {};
  const recent = (e.recent || []).map((d) => h("tr", { class: "decision-" + d.decision },
    h("td", null, timeCell(d.time)), h("td", null, d.request), h("td", null, d.host || "—"),
    h("td", { class: "num" }, d.port || "—"),
    h("td", null, h("span", { class: "status " + (d.decision === "allowed" ? "ok" : "blocked") }, d.decision)),
    h("td", null, d.rule || "—", d.reason ? h("div", { class: "muted small" }, d.reason) : null),
    h("td", { class: "num" }, fmtInt(d.bytes_up) + " / " + fmtInt(d.bytes_down))));
  const kv = (k, v) => h("div", { class: "kv" }, h("span", { class: "k" }, k), h("span", null, v));
  return h("div", { class: "card", "data-testid": "workspace-" + w.id },
    h("h2", null, h("code", null, w.id), " ",
      h("span", { class: "status " + (w.state === "running" ? "ok" : "ended") }, w.state),
      w.state === "running" ? h("span", { class: "admin-only" }, " ",
        h("button", { type: "button", class: "secondary", onclick: () => stopWorkspace(w.id) }, "Stop")) : null),
    h("div", { class: "grid" },
      kv("Started", fmtTime(w.started)), kv("Ended", fmtTime(w.ended)),
      kv("Agent", m.agent ? m.agent.name + " " + m.agent.version : "—"),
      kv("Command", (m.command || []).join(" ")),
      kv("Key", w.key_id),
      kv("Credits spent", w.spent === null ? "—" : fmtCredits(w.spent) + " of " + fmtCredits(w.budget)),
      kv("Egress", h("span", { "data-testid": "egress-counts" },
        fmtInt(e.allowed || 0) + " allowed, " + fmtInt(e.refused || 0) + " refused" +
        (e.failed ? ", " + fmtInt(e.failed) + " failed" : ""))),
      kv("Allowlist", (e.allow || []).join(", ") || "nothing (default deny)"),
      kv("DLP on egress", e.dlp ? "on" : "off")),
    hexLines("Measured (RTMR3 event)", w.manifest_sha384),
    hexLines("Image", m.image ? m.image.digest : "—"),
    h("details", null, h("summary", null, "Manifest"), h("pre", { class: "claims" }, JSON.stringify(m, null, 2))),
    h("h3", null, "Recent egress decisions"),
    table(["Time", "Request", "Host", "Port", "Decision", "Rule, reason", "Bytes up / down"], recent,
      { testid: "egress-" + w.id, empty: "No egress yet." }));
}

async function viewWorkspaces() {
  const d = await api("workspaces");
  const running = d.workspaces.filter((w) => w.state === "running");
  const ended = d.workspaces.filter((w) => w.state !== "running");
  show(
    h("div", { class: "card" }, h("h1", null, "Workspaces"),
      h("p", { class: "muted" }, fmtInt(d.running) + " running of at most " + fmtInt(d.max) +
        ". Each is measured into RTMR3 before it starts; its egress is default deny, and every decision is in the egress audit log.")),
    ...(running.length ? running.map(workspaceCard) :
      [h("div", { class: "card" }, h("p", { class: "muted" }, "No workspace is running."))]),
    ...(ended.length ? [h("h2", { class: "section" }, "Ended workspaces")] : []),
    ...ended.map(workspaceCard));
}

// ---- routing ---------------------------------------------------------------

async function route() {
  clearInterval(state.timer);
  if (!state.csrf) return;
  const hash = location.hash || "#/instance";
  const [, name, arg] = hash.split("/");
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("on", a.dataset.view === name);
  try {
    if (name === "requests" && arg) await viewRequest(decodeURIComponent(arg));
    else if (name === "requests") await viewRequests();
    else if (name === "tools") await viewTools();
    else if (name === "credits") await viewCredits();
    else if (name === "keys") await viewKeys();
    else if (name === "workspaces") await viewWorkspaces();
    else await viewInstance();
  } catch (e) {
    if (state.csrf) fail("Could not load this page", e);
  }
}

async function start() {
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  try {
    const r = await fetch("/admin/api/session", { credentials: "same-origin" });
    if (r.ok) {
      const s = await r.json();
      if (s.csrf) signedIn(s); else signedOut();
    } else signedOut();
  } catch (e) { signedOut(); }
  route();
}

document.addEventListener("DOMContentLoaded", start);
