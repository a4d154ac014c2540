// Malformed requests against a running gateway, from a seeded generator
// (the same run every time): each must get an answer, the gateway must
// stay up, and answers to bad input must be OpenAI-shaped errors.
//   node adversarial.mjs   (env: BASE_URL KEY [N])
const base = process.env.BASE_URL, key = process.env.KEY;
const n = Number(process.env.N ?? 1500);
let seed = 0x5eed;
function rand() {	// xorshift32
	seed ^= seed << 13; seed >>>= 0;
	seed ^= seed >>> 17;
	seed ^= seed << 5; seed >>>= 0;
	return seed / 4294967296;
}
const valid = [
	{ model: 'mock-small', messages: [{ role: 'user', content: 'hi there' }] },
	{ model: 'mock-small', stream: true, max_tokens: 3,
	    messages: [{ role: 'user', content: 'x' }] },
	{ model: 'mock-embed', input: ['a', 'b'] },
	{ model: 'mock-small', prompt: ['a b', 'c'] },
];
const paths = ['/v1/chat/completions', '/v1/chat/completions',
    '/v1/embeddings', '/v1/completions'];
const junk = ['{', '[', '"', '\\', '\u0000', '9e999', 'null', '\ud800',
    '{"model":"mock-small","max_tokens":-1,"stream":"yes","messages":[1,null,{"role":5}]}'];
function mutate(s) {
	const a = [...s];
	for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
		const p = Math.floor(rand() * a.length), r = rand();
		if (r < 0.3) a[p] = String.fromCharCode(Math.floor(rand() * 256));
		else if (r < 0.5) a.splice(p, 1);
		else a.splice(p, 0, junk[Math.floor(rand() * junk.length)]);
	}
	return a.join('');
}
const nonces = ['ok-nonce', '\u00ff', '', 'x'.repeat(129), 'sp ace'];
let passed = 0, failed = 0;
for (let i = 0; i < n; i++) {
	// Some bodies stay valid, so that header checks are reached too.
	const v = JSON.stringify(valid[i % valid.length]);
	const body = rand() < 0.25 ? v : mutate(v);
	const headers = { Authorization: `Bearer ${key}` };
	if (i % 3 === 0)
		headers['Cloister-Nonce'] = nonces[Math.floor(rand() * nonces.length)];
	try {
		const r = await fetch(base + paths[i % valid.length], { method: 'POST', body,
		    headers });
		const text = await r.text();
		if (r.status >= 400 && r.status !== 413 &&
		    !text.startsWith('{"error":{')) {
			failed++;
			console.log(`FAIL: ${r.status} without an error object`);
		} else passed++;
	} catch (e) {
		failed++;
		console.log(`FAIL: no answer: ${e.cause?.code ?? e}`);
		if (e.cause?.code === 'ECONNREFUSED') break;
	}
}
const h = await fetch(`${base}/healthz`).catch(() => ({ status: 0 }));
if (h.status === 200) passed++;
else { failed++; console.log('FAIL: the gateway is down'); }
console.log(`adversarial: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
