// A scripted stdio MCP server for the gateway's tests: its tools come from a
// JSON file the test rewrites between runs (a changed description, schema or
// name is what pinning must catch).  It speaks the 2025 eras (initialize)
// and 2026-07-28 (server/discover, per-request _meta, resultType).
//
//   node mcp-toolserver.mjs TOOLS.json
//
// TOOLS.json: {"instructions": "...", "tools": [{name, description,
// inputSchema}, ...]}.  Every tool echoes its arguments back as text; the
// tool "slow" answers after 2 s unless cancelled first.  A cancellation is
// reported on stderr and, when TOOLSERVER_LOG names a file, there too (a
// gateway daemon discards its servers' stderr).
import { appendFileSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const def = JSON.parse(readFileSync(process.argv[2], "utf8"));
const MODERN = "2026-07-28";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
const slow = new Map();
const note = (s) => {
  process.stderr.write(s);
  if (process.env.TOOLSERVER_LOG) appendFileSync(process.env.TOOLSERVER_LOG, s);
};

function result(req, r) {
  const modern = req.params?._meta?.["io.modelcontextprotocol/protocolVersion"] === MODERN;
  send({ id: req.id, result: modern ? { ...r, resultType: "complete" } : r });
}

createInterface({ input: process.stdin }).on("line", (line) => {
  let req;
  try { req = JSON.parse(line); } catch { send({ id: null, error: { code: -32700, message: "parse error" } }); return; }
  switch (req.method) {
  case "initialize":
    return result(req, { protocolVersion: req.params.protocolVersion, capabilities: { tools: { listChanged: true } },
      serverInfo: { name: "toolserver", version: "1" }, instructions: def.instructions });
  case "server/discover":
    return send({ id: req.id, result: { supportedVersions: [MODERN], capabilities: { tools: { listChanged: true } },
      serverInfo: { name: "toolserver", version: "1" }, instructions: def.instructions } });
  case "tools/list":
    note(`toolserver: tools/list _meta ${JSON.stringify(req.params?._meta ?? null)}\n`);
    return result(req, { tools: def.tools });
  case "tools/call": {
    const t = def.tools.find((x) => x.name === req.params.name);
    if (!t) return send({ id: req.id, error: { code: -32602, message: `unknown tool ${req.params.name}` } });
    const text = JSON.stringify(req.params.arguments ?? {});
    if (t.name === "slow") {
      slow.set(req.id, setTimeout(() => { slow.delete(req.id); result(req, { content: [{ type: "text", text: "slow done" }] }); }, 2000));
      return;
    }
    return result(req, { content: [{ type: "text", text: `${t.name}: ${text}` }] });
  }
  case "notifications/cancelled": {
    const id = req.params.requestId;
    if (slow.has(id)) { clearTimeout(slow.get(id)); slow.delete(id); note(`toolserver: cancelled ${id}\n`); }
    return;
  }
  case "ping":
    return send({ id: req.id, result: {} });
  default:
    if (req.id !== undefined && req.method) send({ id: req.id, error: { code: -32601, message: "method not found" } });
  }
});
