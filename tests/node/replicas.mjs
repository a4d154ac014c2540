// Several `cloister serve` replicas sharing one PostgreSQL ledger: N
// streamed requests at once, spread round-robin over the replicas'
// URLs, with one key.  Prints one JSON line:
//   {"ok": answered, "refused": {status: count}, "errors": [...]}
//   node replicas.mjs N MODEL KEY URL...
import OpenAI from 'openai';

const [n, model, key, ...urls] = process.argv.slice(2);
const clients = urls.map((u) => new OpenAI({ baseURL: `${u}/v1`,
    apiKey: key, maxRetries: 0 }));
const results = await Promise.allSettled(Array.from({ length: Number(n) },
    async (_, i) => {
	const s = await clients[i % clients.length].chat.completions.create({
	    model, stream: true, max_tokens: 10,
	    messages: [{ role: 'user', content: 'go' }] });
	for await (const chunk of s) void chunk;
    }));
const refused = {};
const errors = [];
let ok = 0;
for (const r of results) {
	if (r.status === 'fulfilled') { ok++; continue; }
	const st = r.reason?.status ?? 'none';
	refused[st] = (refused[st] ?? 0) + 1;
	if (st === 'none' && errors.length < 3)
		errors.push(String(r.reason?.message ?? r.reason));
}
console.log(JSON.stringify({ ok, refused, errors }));
