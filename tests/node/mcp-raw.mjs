// Sends JSON-RPC lines to a stdio MCP command exactly as written, for tests
// that need control over ids, eras and malformed input.  Reads the script
// on stdin: one message per line, "wait ID" waits for the response with
// that id (5 s at most), "sleep MS" pauses.  Prints every line the command
// writes.
//   node mcp-raw.mjs CMD [ARG]... < SCRIPT
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";

const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
const got = new Map();
let waiter = null;
createInterface({ input: child.stdout }).on("line", (l) => {
  console.log(l);
  try {
    const m = JSON.parse(l);
    if (m.id !== undefined && m.method === undefined) got.set(JSON.stringify(m.id), m);
  } catch { /* printed as it came */ }
  if (waiter) waiter();
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function wait(id) {
  const end = Date.now() + 5000;
  while (!got.has(id) && Date.now() < end)
    await new Promise((r) => { waiter = r; setTimeout(r, 50); });
  if (!got.has(id)) console.log(`TIMEOUT waiting for ${id}`);
}
for (const line of readFileSync(0, "utf8").split("\n")) {
  if (line.startsWith("wait ")) await wait(line.slice(5).trim());
  else if (line.startsWith("sleep ")) await sleep(Number(line.slice(6)));
  else if (line.length > 0) child.stdin.write(line + "\n");
}
child.stdin.end();
await new Promise((r) => child.on("exit", r));
