// An MCP client on the official SDK that exercises what a gateway must carry:
// tools, resources, prompts, sampling, elicitation, roots, progress and
// cancellation.  It prints one normalized line per result, so the output
// through Cloister can be compared with the output of a direct connection.
//
//   node mcp-client.mjs stdio CMD [ARG]...
//   node mcp-client.mjs http URL
//   node mcp-client.mjs call stdio CMD [ARG]... -- TOOL JSON_ARGS
//   node mcp-client.mjs call http URL -- TOOL JSON_ARGS
//
// Exit status: 0 when every step ran (a step may still print an error).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

let argv = process.argv.slice(2);
let single = null;
if (argv[0] === "call") {
  const sep = argv.indexOf("--");
  single = { tool: argv[sep + 1], args: JSON.parse(argv[sep + 2] ?? "{}") };
  argv = argv.slice(1, sep);
}
const [mode, ...rest] = argv;
// MCP_BEARER: an API key for the gateway's /mcp/{server} endpoint.
const auth = process.env.MCP_BEARER
  ? { requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_BEARER}` } } } : {};
const transport = mode === "http"
  ? new StreamableHTTPClientTransport(new URL(rest[0]), auth)
  : new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: { ...process.env }, stderr: "inherit" });

const client = new Client({ name: "cloister-test", version: "1.0.0" },
  { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
const seen = { sampling: 0, elicitation: 0, roots: 0 };
client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
  seen.sampling++;
  const text = req.params.messages?.[0]?.content?.text ?? "";
  return { role: "assistant", model: "test-model", stopReason: "endTurn",
           content: { type: "text", text: `sampled(${text.length} chars)` } };
});
client.setRequestHandler(ElicitRequestSchema, async () => {
  seen.elicitation++;
  return { action: "accept", content: { color: "red", number: 7, pets: "dogs" } };
});
client.setRequestHandler(ListRootsRequestSchema, async () => {
  seen.roots++;
  return { roots: [{ uri: "file:///workspace", name: "workspace" }] };
});

const out = (...a) => console.log(a.join(" "));
// Results with the parts that differ run to run (times, random ids) removed.
const norm = (v) => JSON.stringify(v, (k, x) =>
  (k === "timestamp" || k === "requestId" || k === "_meta") ? undefined : x).slice(0, 400);

async function step(name, fn) {
  try {
    out(name, norm(await fn()));
  } catch (e) {
    out(name, "ERROR", e.code ?? "", String(e.message).replace(/\s+/g, " ").slice(0, 300));
  }
}

await client.connect(transport);
if (single) {
  await step(`call ${single.tool}`, () => client.callTool({ name: single.tool, arguments: single.args }));
  await client.close();
  process.exit(0);
}
out("server", norm(client.getServerVersion()?.name));
const tools = await client.listTools();
out("tools", tools.tools.map((t) => t.name).sort().join(","));
await step("echo", () => client.callTool({ name: "echo", arguments: { message: "hello through the gateway" } }));
await step("get-sum", () => client.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } }));
await step("structured", () => client.callTool({ name: "get-structured-content", arguments: { location: "Chicago" } }));
await step("image", async () => {
  const r = await client.callTool({ name: "get-tiny-image", arguments: {} });
  return r.content.map((c) => c.type + (c.data ? `:${c.data.length}` : ""));
});
await step("resource-links", async () => {
  const r = await client.callTool({ name: "get-resource-links", arguments: { count: 2 } });
  return r.content.map((c) => c.type);
});
await step("sampling", () => client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "summarize", maxTokens: 10 } }));
await step("elicitation", () => client.callTool({ name: "trigger-elicitation-request", arguments: {} }));
await step("roots", () => client.callTool({ name: "get-roots-list", arguments: {} }));
const progress = [];
await step("progress", () => client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 2 } },
  undefined, { onprogress: (p) => progress.push(`${p.progress}/${p.total}`) }));
out("progress-events", progress.join(","));
await step("resources", async () => {
  const r = await client.listResources();
  return r.resources.map((x) => x.uri).sort();
});
await step("resource-read", async () => {
  const r = await client.readResource({ uri: "demo://resource/static/document/architecture.md" });
  return r.contents.map((c) => `${c.uri} ${c.mimeType} ${(c.text ?? c.blob ?? "").length}`);
});
await step("prompts", async () => (await client.listPrompts()).prompts.map((p) => p.name).sort());
await step("prompt-get", () => client.getPrompt({ name: "args-prompt", arguments: { city: "Lyon", state: "Rhone" } }));
// Cancellation: the call is abandoned, the session must live on.
await step("cancel", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort("test cancels"), 300);
  await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 3, steps: 3 } },
    undefined, { signal: ac.signal });
  return "not cancelled";
});
await step("after-cancel", () => client.callTool({ name: "echo", arguments: { message: "still here" } }));
await step("ping", () => client.ping());
out("server-requests", `sampling=${seen.sampling} elicitation=${seen.elicitation} roots=${seen.roots >= 1 ? "yes" : "no"}`);
await client.close();
