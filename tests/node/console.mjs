// The console end to end in headless Chromium (Debian's, driven by
// playwright-core): sign in, the instance with its SIMULATED banner,
// requests the test made, one of them with its receipt verified, a blocked
// tool call with its rule, approving a changed tool, creating and revoking
// a key, a balance that falls, and a workspace with its egress decisions
// stopped from its page.  A screenshot of each page goes to
// SHOTS; each check prints "ok NAME" or "FAIL NAME: why", then a summary.
//
//   node console.mjs BASE_URL ADMIN_KEY USER_KEY USER_KEY_ID SHOTS
import net from "node:net";
import { chromium } from "playwright-core";

const [base, adminKey, userKey, userKeyId, shots] = process.argv.slice(2);
let pass = 0, fail = 0;
const ok = (name) => { pass++; console.log("ok " + name); };
const bad = (name, why) => { fail++; console.log(`FAIL ${name}: ${why}`); };
async function check(name, fn) {
  try { await fn(); ok(name); } catch (e) { bad(name, String(e.message || e).split("\n")[0]); }
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await ctx.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
// Refused requests (401 on purpose) are logged by Chromium as resource
// errors; only script errors count.
page.on("console", (m) => {
  if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
});
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const T = { timeout: 10000 };

async function chat(text) {
  const r = await fetch(base + "/v1/chat/completions", { method: "POST",
    headers: { Authorization: "Bearer " + userKey, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "mock-small", messages: [{ role: "user", content: text }] }) });
  if (!r.ok) throw new Error("chat: HTTP " + r.status);
  return (await r.json()).id;
}

// The same through Anthropic's Messages API: the console names the API.
async function messages(text) {
  const r = await fetch(base + "/v1/messages", { method: "POST",
    headers: { "x-api-key": userKey, "anthropic-version": "2023-06-01",
      "Content-Type": "application/json" },
    body: JSON.stringify({ model: "mock-small", max_tokens: 32,
      messages: [{ role: "user", content: text }] }) });
  if (!r.ok) throw new Error("messages: HTTP " + r.status);
  return r.headers.get("cloister-request-id");
}

try {
  await page.goto(base + "/console");
  await check("sign-in form first", async () => {
    await page.locator("#signin").waitFor({ state: "visible", ...T });
    if (await page.locator("#nav").isVisible()) throw new Error("navigation visible before sign-in");
  });
  await shot("01-sign-in");
  await check("a wrong key is refused", async () => {
    await page.fill("#signin-key", "sk-clo-wrong");
    await page.click("#signin-form button");
    await page.getByText("Sign-in failed").waitFor(T);
  });
  await check("sign in with the admin key", async () => {
    await page.fill("#signin-key", adminKey);
    await page.click("#signin-form button");
    await page.locator("#nav").waitFor({ state: "visible", ...T });
  });

  await check("instance: simulated banner and evidence", async () => {
    await page.locator("#banner").getByText("SIMULATED TEE").waitFor(T);
    await page.getByText("Check it yourself").waitFor(T);
    const cmd = await page.getByTestId("verify-command").textContent();
    if (!cmd.includes("cloister verify evidence") || !cmd.includes("--allow-simulated"))
      throw new Error("verify command: " + cmd);
    const tee = await page.getByTestId("tee").textContent();
    if (!/simulated/.test(tee)) throw new Error("TEE: " + tee);
  });
  await shot("02-instance");

  const ids = [await chat("console test one"), await chat("console test two")];
  const mid = await messages("console test three");
  await page.click('#nav a[data-view="requests"]');
  await check("requests: the test's requests are listed", async () => {
    for (const id of ids) await page.getByTestId("requests").getByText(id).waitFor(T);
  });
  await check("requests: each with the API its client spoke", async () => {
    const row = page.getByTestId("requests").locator("tr", { hasText: mid });
    await row.waitFor(T);
    const cells = await row.locator("td").allTextContents();
    if (!cells.includes("messages")) throw new Error("row: " + cells.join(" | "));
    const chatRow = await page.getByTestId("requests").locator("tr", { hasText: ids[0] })
      .locator("td").allTextContents();
    if (!chatRow.includes("chat")) throw new Error("row: " + chatRow.join(" | "));
  });
  await shot("03-requests");
  await check("request: its receipt verified step by step", async () => {
    await page.getByTestId("requests").getByText(ids[1]).click();
    await page.getByText("verified (simulated)").waitFor(T);
    const steps = await page.getByTestId("receipt-steps").locator("li").allTextContents();
    if (steps.length < 4 || !steps.some((s) => s.includes("receipt signature")))
      throw new Error("steps: " + steps.join(" | "));
    if (!steps.filter((s) => /signature|evidence/.test(s)).every((s) => s.startsWith("✓")))
      throw new Error("a step failed: " + steps.join(" | "));
  });
  await shot("04-request-receipt");

  await page.click('#nav a[data-view="tools"]');
  await check("tool calls: a blocked call with its rule", async () => {
    const row = page.getByTestId("tool-calls").locator("tr", { hasText: "aws-access-key" }).first();
    await row.waitFor(T);
    const t = await row.textContent();
    if (!t.includes("blocked") || !t.includes("block")) throw new Error("row: " + t);
  });
  await check("tool calls: a pin block says why", async () => {
    await page.getByTestId("tool-calls").locator("tr", { hasText: "changed or is new" }).first().waitFor(T);
  });
  await check("tool calls: the audit chain verifies", async () => {
    const t = await page.getByTestId("audit-logs").textContent();
    if (!t.includes("chain intact") || t.includes("broken")) throw new Error(t);
  });
  await check("pins: a changed tool waits for approval", async () => {
    await page.getByTestId("pins").locator("tr", { hasText: "changed" }).first().waitFor(T);
  });
  await shot("05-tool-calls");
  await check("pins: approving it", async () => {
    const row = page.getByTestId("pins").locator("tr", { hasText: "lookup" });
    await row.getByRole("button", { name: "Approve" }).click();
    await page.getByTestId("pins").locator("tr", { hasText: "lookup" }).getByText("pinned").waitFor(T);
  });
  await shot("06-tool-approved");

  await page.click('#nav a[data-view="keys"]');
  await check("keys: create one, shown once", async () => {
    await page.fill("#key-name", "console-temp");
    await page.click("text=Create key");
    const k = await page.getByTestId("new-key").textContent(T);
    if (!k.startsWith("sk-clo-")) throw new Error("key: " + k);
  });
  await shot("07-key-created");
  await check("keys: revoke it", async () => {
    page.once("dialog", (d) => d.accept());
    const row = page.locator("#key-list tr", { hasText: "console-temp" });
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.locator("#key-list tr", { hasText: "console-temp" }).getByText("revoked").waitFor(T);
  });
  await shot("08-key-revoked");

  await page.click('#nav a[data-view="credits"]');
  const balance = () => page.getByTestId("balance-" + userKeyId).textContent(T);
  let before = "";
  await check("credits: the user's balance is shown", async () => {
    before = await balance();
    if (!/\d/.test(before)) throw new Error("balance: " + before);
  });
  await check("credits: spend per model and per key over time", async () => {
    for (const id of ["chart-model", "chart-key"]) {
      const n = await page.getByTestId(id).locator("rect").count();
      if (n < 1) throw new Error(id + " has no bars");
    }
    await page.getByTestId("chart-model").locator(".legend li", { hasText: "mock-small" }).waitFor(T);
  });
  await shot("09-credits");
  await check("credits: the balance falls after a request", async () => {
    await chat("console test three, a longer one so that it costs a little more than nothing");
    await page.reload();
    await page.getByTestId("balance-" + userKeyId).waitFor(T);
    const after = await balance();
    if (!(Number(after.replace(/,/g, "")) < Number(before.replace(/,/g, ""))))
      throw new Error(`before ${before}, after ${after}`);
  });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('#nav a[data-view="requests"]');
  await page.getByTestId("requests").waitFor(T);
  await shot("10-phone-requests");
  await page.setViewportSize({ width: 1280, height: 860 });

  // A workspace made with the admin API, two egress refusals through its
  // egress.sock, then the page, and the Stop button.
  const hex = "a".repeat(64);
  const manifest = { v: 1, type: "cloister-workspace", image: { digest: "sha256:" + hex },
    command: ["sh"], agent: { name: "console-test", version: "1" }, policy: { sha256: hex },
    egress: { allow: ["registry.example"] },
    sandbox: { landlock_abi: 7, seccomp: "sha256:" + hex, limits: { pids: 64 }, cgroup: "rlimits" } };
  let ws = null;
  await check("workspaces: one is created", async () => {
    const r = await fetch(base + "/admin/api/workspaces", { method: "POST",
      headers: { Authorization: "Bearer " + adminKey, "Content-Type": "application/json" },
      body: JSON.stringify({ manifest, budget: 2000000 }) });
    if (r.status !== 201) throw new Error("HTTP " + r.status + ": " + await r.text());
    ws = await r.json();
  });
  const egress = (target) => new Promise((resolve) => {
    const s = net.connect(ws.dir + "/egress.sock", () =>
      s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let got = "";
    s.on("data", (d) => { got += d; });
    s.on("close", () => resolve(got.split("\r\n")[0]));
    s.on("error", () => resolve("error"));
  });
  await check("workspaces: egress refusals", async () => {
    const a = await egress("denied.example:443"), b = await egress("192.0.2.1:443");
    if (!a.includes(" 403 ") || !b.includes(" 403 ")) throw new Error(a + " | " + b);
  });
  await page.click('#nav a[data-view="workspaces"]');
  await check("workspaces: running, measured, with its egress decisions", async () => {
    const card = page.getByTestId("workspace-" + ws.id);
    await card.waitFor(T);
    const t = await card.textContent();
    if (!t.includes("running") || !t.includes(ws.manifest_sha384) || !t.includes("console-test"))
      throw new Error("card: " + t.slice(0, 200));
    const counts = await card.getByTestId("egress-counts").textContent();
    if (!counts.includes("2 refused")) throw new Error("counts: " + counts);
    await page.getByTestId("egress-" + ws.id).locator("tr", { hasText: "not-allowed" }).waitFor(T);
    await page.getByTestId("egress-" + ws.id).locator("tr", { hasText: "ip-literal" }).waitFor(T);
  });
  await shot("11-workspaces");
  await check("workspaces: Stop ends it", async () => {
    page.once("dialog", (d) => d.accept());
    await page.getByTestId("workspace-" + ws.id).getByRole("button", { name: "Stop" }).click();
    await page.getByTestId("workspace-" + ws.id).locator(".status.ended").waitFor(T);
    const r = await fetch(base + "/v1/models", { headers: { Authorization: "Bearer " + ws.key } });
    if (r.status !== 401) throw new Error("the workspace key after Stop: HTTP " + r.status);
  });
  await shot("12-workspace-stopped");

  await check("sign out", async () => {
    await page.click("#signout");
    await page.locator("#signin").waitFor({ state: "visible", ...T });
    const r = await page.evaluate(async () => (await fetch("/admin/api/requests")).status);
    if (r !== 401) throw new Error("API after sign-out: " + r);
  });
  await check("no script errors", async () => {
    if (errors.length) throw new Error(errors.join(" | "));
  });
} finally {
  await browser.close();
}
console.log(`console (browser): ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
