// The official openai and @anthropic-ai/sdk clients through `cloister
// proxy`: chat, streamed and not, embeddings, models, Anthropic Messages
// (x-api-key) and OpenAI Responses, each with its receipt verified by the
// proxy.  Prints "ok NAME" or "FAIL NAME: why" and a summary; exit 1 when
// a check failed.
//   node proxy-client.mjs BASE_URL API_KEY
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
let pass = 0, fail = 0;
async function check(name, fn) {
  try { await fn(); pass++; console.log("ok " + name); }
  catch (e) { fail++; console.log(`FAIL ${name}: ${String(e.message || e).split("\n")[0]}`); }
}

await check("models", async () => {
  const m = await client.models.list();
  if (!m.data.some((x) => x.id === "mock-small")) throw new Error(JSON.stringify(m.data));
});
await check("chat", async () => {
  const { data, response } = await client.chat.completions.create({ model: "mock-small",
    messages: [{ role: "user", content: "hello through the proxy" }] }).withResponse();
  if (!data.choices[0].message.content) throw new Error("no content");
  if (response.headers.get("cloister-verified") !== "receipt") throw new Error("not marked verified");
  if (!response.headers.get("cloister-receipt")) throw new Error("no receipt header");
});
await check("chat stream", async () => {
  const s = await client.chat.completions.create({ model: "mock-small", stream: true,
    messages: [{ role: "user", content: "stream through the proxy" }] });
  let text = "";
  for await (const c of s) text += c.choices[0]?.delta?.content ?? "";
  if (text.length < 10) throw new Error("short stream: " + text);
});
await check("embeddings", async () => {
  const e = await client.embeddings.create({ model: "mock-embed", input: "a line of code", encoding_format: "float" });
  if (e.data[0].embedding.length < 8) throw new Error("embedding");
});
// Anthropic's client: its key as x-api-key, its base URL without /v1.
const claude = new Anthropic({ baseURL: baseURL.replace(/\/v1$/, ""), apiKey,
  maxRetries: 0 });
await check("messages", async () => {
  const { data, response } = await claude.messages.create({ model: "mock-small",
    max_tokens: 64, messages: [{ role: "user", content: "hello through the proxy" }] })
    .withResponse();
  if (data.type !== "message" || !data.content[0]?.text) throw new Error(JSON.stringify(data));
  if (response.headers.get("cloister-verified") !== "receipt") throw new Error("not marked verified");
});
await check("messages stream", async () => {
  const s = await claude.messages.create({ model: "mock-small", max_tokens: 64, stream: true,
    messages: [{ role: "user", content: "stream through the proxy" }] });
  let text = "";
  for await (const ev of s) if (ev.type === "content_block_delta") text += ev.delta.text;
  if (text.length < 10) throw new Error("short stream: " + text);
});
await check("responses", async () => {
  const { data, response } = await client.responses.create({ model: "mock-small",
    input: "hello through the proxy", store: false }).withResponse();
  if (!data.output_text) throw new Error(JSON.stringify(data));
  if (response.headers.get("cloister-verified") !== "receipt") throw new Error("not marked verified");
});
await check("responses stream", async () => {
  const s = await client.responses.create({ model: "mock-small", stream: true,
    input: "stream through the proxy", store: false });
  let done = false;
  for await (const ev of s) done ||= ev.type === "response.completed";
  if (!done) throw new Error("no response.completed");
});
console.log(`proxy (openai and anthropic clients): ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
