// The official openai npm client against `cloister serve` (mock backend):
// what coding tools see.  Every receipt is checked with
// `cloister verify receipt` against the instance's evidence and the exact
// bytes that crossed the wire.  Ends with "N passed, N failed".
//   node gateway.test.mjs  (env: BASE_URL KEY KEY_EMPTY KEY_EXACT
//                           KEY_EXACT_ID CLOISTER WORK STATE_DB CANARY)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { saveEvidence, splitReceipt, wire } from './wire.mjs';

const { BASE_URL, KEY, KEY_EMPTY, CLOISTER, WORK, STATE_DB, CANARY } =
    process.env;
let passed = 0, failed = 0;

function ok(cond, what) {
	if (cond) passed++;
	else { failed++; console.log(`FAIL: ${what}`); }
}

const evidence = await saveEvidence(BASE_URL, `${WORK}/evidence.json`);
const { recordingFetch, lastWire, verifyReceipt } = wire({
    cloister: CLOISTER, work: WORK, evidence, ok });
const client = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: KEY,
    fetch: recordingFetch, maxRetries: 0 });


// ---- models --------------------------------------------------------------
{
	const models = await client.models.list();
	ok(models.data.some((m) => m.id === 'mock-small'), 'models lists mock-small');
}

// ---- chat, not streamed ------------------------------------------------------
{
	const { data, response } = await client.chat.completions.create({
	    model: 'mock-small', max_tokens: 8,
	    messages: [{ role: 'user', content: `hello ${CANARY} world` }],
	}).withResponse();
	ok(typeof data.choices[0].message.content === 'string' &&
	    data.choices[0].message.content.split(' ').length === 8,
	    'chat: 8 words');
	ok(data.usage.prompt_tokens === 3 && data.usage.completion_tokens === 8,
	    'chat: usage counts words');
	ok(data.choices[0].finish_reason === 'length', 'chat: finish length');
	ok(/^req_[0-9a-f]{24}$/.test(response.headers.get('cloister-request-id')),
	    'chat: Cloister-Request-Id');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'chat');
	ok(c && c.id === data.id && c.usage.completion_tokens === 8 &&
	    c.cost === 3 + 16 && c.backend_type === 'mock' &&
	    c.confidential === false, 'chat: receipt claims');
	// The receipt can be fetched again, by its owner only.
	const r = await fetch(`${BASE_URL}/v1/receipts/${data.id}`,
	    { headers: { Authorization: `Bearer ${KEY}` } });
	ok(r.status === 200 && (await r.text()) ===
	    response.headers.get('cloister-receipt'), 'receipts/{id}');
	const r2 = await fetch(`${BASE_URL}/v1/receipts/${data.id}`,
	    { headers: { Authorization: `Bearer ${KEY_EMPTY}` } });
	ok(r2.status === 404, 'receipts/{id}: not another key\'s');
}

// ---- chat, streamed, with and without usage ----------------------------------
for (const includeUsage of [false, true]) {
	const what = `stream (include_usage ${includeUsage})`;
	const stream = await client.chat.completions.create({
	    model: 'mock-small', stream: true, max_tokens: 5,
	    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
	    messages: [{ role: 'system', content: 'be brief' },
	        { role: 'user', content: `tell me ${CANARY}` }],
	});
	let text = '', usage = null, finish = null;
	for await (const chunk of stream) {
		if (chunk.choices.length > 0) {
			text += chunk.choices[0].delta.content ?? '';
			finish = chunk.choices[0].finish_reason ?? finish;
		}
		if (chunk.usage) usage = chunk.usage;
	}
	ok(text.split(' ').length === 5 && finish === 'length', `${what}: text`);
	ok(includeUsage ? usage?.completion_tokens === 5 && usage?.prompt_tokens === 5
	    : usage === null, `${what}: usage only when asked`);
	const e = await lastWire();
	const [body, jws] = splitReceipt(e.response);
	ok(jws !== null, `${what}: receipt comment`);
	const c = verifyReceipt(jws ?? '', e.request, body, what);
	ok(c && c.usage.completion_tokens === 5 && c.status === 'ok',
	    `${what}: receipt claims`);
}

// ---- completions and embeddings -------------------------------------------
{
	const { data, response } = await client.completions.create({
	    model: 'mock-small', prompt: `one two ${CANARY}`, max_tokens: 3,
	}).withResponse();
	ok(data.object === 'text_completion' &&
	    data.choices[0].text.split(' ').length === 3, 'completions');
	const e = await lastWire();
	verifyReceipt(response.headers.get('cloister-receipt'), e.request,
	    e.response, 'completions');
}
{
	const { data, response } = await client.embeddings.create({
	    model: 'mock-embed', input: [`alpha ${CANARY}`, 'beta'],
	    encoding_format: 'float',
	}).withResponse();
	ok(data.data.length === 2 && data.data[0].embedding.length === 16,
	    'embeddings: two vectors of 16');
	ok(data.usage.prompt_tokens === 3, 'embeddings: usage');
	const e = await lastWire();
	verifyReceipt(response.headers.get('cloister-receipt'), e.request,
	    e.response, 'embeddings');
}

// ---- errors: OpenAI-shaped, and nothing charged -------------------------------
async function expectError(fn, status, what) {
	try {
		await fn();
		ok(false, `${what}: no error`);
	} catch (e) {
		ok(e.status === status && typeof e.error?.message === 'string',
		    `${what}: ${e.status} (want ${status})`);
	}
}
const bad = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: 'sk-clo-nope',
    maxRetries: 0 });
await expectError(() => bad.models.list(), 401, 'unknown key');
await expectError(() => client.chat.completions.create({ model: 'gpt-9',
    messages: [{ role: 'user', content: 'x' }] }), 404, 'unknown model');
await expectError(() => client.chat.completions.create({ model: 'mock-small',
    messages: [] }), 400, 'empty messages');
await expectError(() => client.chat.completions.create({ model: 'mock-small',
    max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }), 400,
    'max_tokens 0');
const empty = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: KEY_EMPTY,
    maxRetries: 0 });
await expectError(() => empty.chat.completions.create({ model: 'mock-small',
    messages: [{ role: 'user', content: 'x' }] }), 402, 'no credits');
{
	const r = await fetch(`${BASE_URL}/v1/chat/completions`, { method: 'POST',
	    headers: { Authorization: `Bearer ${KEY}` }, body: '{"model":' });
	const j = await r.json();
	ok(r.status === 400 && j.error.code === 'invalid_json', 'malformed JSON');
	const big = 'x'.repeat(2 * 1024 * 1024);
	const r2 = await fetch(`${BASE_URL}/v1/chat/completions`, {
	    method: 'POST', headers: { Authorization: `Bearer ${KEY}` },
	    body: big }).catch(() => ({ status: 413 }));
	ok(r2.status === 413, `oversized body: ${r2.status}`);
	const r3 = await fetch(`${BASE_URL}/v1/nowhere`);
	ok(r3.status === 404, 'unknown endpoint');
}

// ---- a client that leaves mid-stream pays for what was generated ------------
{
	const ac = new AbortController();
	const stream = await client.chat.completions.create({ model: 'mock-slow',
	    stream: true, max_tokens: 16, messages: [{ role: 'user',
	    content: 'long answer please' }] }, { signal: ac.signal });
	let n = 0, id = null;
	try {
		for await (const chunk of stream) {
			id = chunk.id;
			if (++n === 4) ac.abort();
		}
	} catch { /* aborted */ }
	await new Promise((r) => setTimeout(r, 500));
	const row = execFileSync('sqlite3', [STATE_DB, `SELECT status || ' ' || ` +
	    `completion_tokens || ' ' || cost FROM requests WHERE id = '${id}'`])
	    .toString().trim().split(' ');
	const tokens = Number(row[1]);
	ok(row[0] === 'cancelled' && tokens >= 3 && tokens < 16 &&
	    Number(row[2]) === 3 + tokens, `disconnect: charged ${row.join(' ')}`);
}

// The database holds a settlement at most 50 ms after its answer (the
// gateway journals it first): read until pred holds, or 2 s have passed.
async function dbUntil(sql, pred) {
	let out = '';
	for (let i = 0; i < 40; i++) {
		out = execFileSync('sqlite3', [STATE_DB, sql]).toString().trim();
		if (pred(out)) break;
		await new Promise((r) => setTimeout(r, 50));
	}
	return out;
}

// ---- credits under concurrency: 200 at once against exactly 50 -------------
// Slow streams (10 words, 40 ms apart), so that the holds of every
// admitted request are alive at the same time: the 51st must see 50 holds.
{
	const exact = new OpenAI({ baseURL: `${BASE_URL}/v1`,
	    apiKey: process.env.KEY_EXACT, maxRetries: 0 });
	const spans = [];
	const results = await Promise.allSettled(Array.from({ length: 200 },
	    async () => {
		const t0 = Date.now();
		const s = await exact.chat.completions.create({
		    model: 'mock-exact-slow', stream: true, max_tokens: 10,
		    messages: [{ role: 'user', content: 'go' }] });
		for await (const chunk of s) void chunk;
		spans.push([t0, Date.now()]);
	    }));
	const won = results.filter((r) => r.status === 'fulfilled').length;
	// The most admitted streams alive at one moment.
	const peak = Math.max(...spans.map(([a]) => spans.filter(([b, e]) =>
	    b <= a && a < e).length));
	ok(peak >= 40, `concurrency: ${peak} holds were alive at once (want >= 40)`);
	const paid = results.filter((r) => r.status === 'rejected' &&
	    r.reason?.status === 402).length;
	ok(won === 50 && paid === 150, `concurrency: ${won} succeeded, ${paid} ` +
	    'refused with 402 (want 50 and 150)');
	const bal = await dbUntil('SELECT credits || " " || ' +
	    `(SELECT SUM(cost) FROM requests WHERE key_id = keys.id) FROM keys ` +
	    `WHERE id = '${process.env.KEY_EXACT_ID}'`, (b) => b === '0 500');
	ok(bal === '0 500', `concurrency: balance ends at 0 with 500 charged (${bal})`);
}

// ---- absurd usage from an upstream: charged the hold, never less ---------
for (const [model, stream] of [['up-huge', false], ['up-huge', true],
    ['up-real', false], ['up-real', true]]) {
	const what = `${model}${stream ? ' (stream)' : ''}`;
	const { data, response } = await client.chat.completions.create({
	    model, stream, max_tokens: 100,
	    messages: [{ role: 'user', content: 'x' }] }).withResponse();
	const id = response.headers.get('cloister-request-id');
	if (stream)
		for await (const chunk of data) void chunk;
	const row = await dbUntil('SELECT status || " " || cost || " " || ' +
	    `reserved FROM requests WHERE id = '${id}'`, (r) => r !== '');
	const [status, cost, reserved] = row.split(' ');
	if (model === 'up-huge')
		ok(status === 'ok' && Number(cost) === Number(reserved) &&
		    Number(cost) > 0, `${what}: charged the hold (${row})`);
	else
		ok(status === 'no_usage' && Number(cost) > 0 &&
		    Number(cost) <= Number(reserved), `${what}: billed on the ` +
		    `estimate, not free (${row})`);
}
{
	const neg = await dbUntil('SELECT count(*) FROM keys WHERE credits < 0',
	    () => true);
	ok(neg === '0', `absurd usage: no negative balance (${neg})`);
}

// ---- an openai-compatible upstream (scripted, on loopback) -----------------
async function seen() {
	return (await fetch(`${process.env.UP_URL}/seen`)).json();
}
{
	const { data, response } = await client.chat.completions.create({
	    model: 'up-echo', messages: [{ role: 'user', content: `hi ${CANARY}` }],
	}).withResponse();
	ok(data.choices[0].message.content === 'upstream says hello from loopback',
	    'upstream: answer relayed');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'upstream');
	// 5 uncached + 2 cached at half price + 5 out.
	ok(c && c.backend_type === 'openai-compatible' && c.confidential === 'tdx' &&
	    c.usage.prompt_tokens === 7 && c.usage.cached_tokens === 2 &&
	    c.cost === 5 + 1 + 5, `upstream: billed on its usage (${c?.cost})`);
}
for (const [model, includeUsage] of [['up-echo', false], ['up-echo', true],
    ['up-crlf', false], ['up-crlf', true]]) {
	const what = `upstream stream ${model} (include_usage ${includeUsage})`;
	const stream = await client.chat.completions.create({ model,
	    stream: true, messages: [{ role: 'user', content: 'go' }],
	    ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });
	let text = '', usage = null;
	for await (const chunk of stream) {
		if (chunk.choices.length > 0)
			text += chunk.choices[0].delta.content ?? '';
		if (chunk.usage) usage = chunk.usage;
	}
	ok(text === 'upstream says hello from loopback', `${what}: text`);
	ok(includeUsage === (usage !== null), `${what}: usage only when asked`);
	ok((await seen()).body.stream_options?.include_usage === true,
	    `${what}: usage always asked of the upstream`);
	const e = await lastWire();
	const [body, jws] = splitReceipt(e.response);
	const c = verifyReceipt(jws ?? '', e.request, body, what);
	ok(c && c.usage.completion_tokens === 5 && c.cost === 11,
	    `${what}: billed on the upstream's usage`);
}
{
	await expectError(() => client.chat.completions.create({ model: 'up-400',
	    messages: [{ role: 'user', content: 'x' }] }), 400,
	    'upstream 400 relayed');
	await expectError(() => client.chat.completions.create({ model: 'up-500',
	    messages: [{ role: 'user', content: 'x' }] }), 502, 'upstream 500');
	await expectError(() => client.chat.completions.create({
	    model: 'down-model', messages: [{ role: 'user', content: 'x' }] }),
	    502, 'upstream down');
	// Each failure was settled (refunded, in the journal) before its answer
	// left; the database has it within 50 ms.
	const failed = await dbUntil('SELECT count(*) || " " ' +
	    '|| SUM(cost) || " " || group_concat(DISTINCT status) FROM requests ' +
	    'WHERE model IN (\'up-400\', \'up-500\', \'down-model\')',
	    (f) => f === '3 0 failed');
	ok(failed === '3 0 failed', `upstream failures charge nothing (${failed})`);
	const emb = await client.embeddings.create({ model: 'up-embed',
	    input: 'x', encoding_format: 'float' });
	ok(emb.data[0].embedding.length === 2 && emb.usage.prompt_tokens === 4,
	    'upstream embeddings');
}
{
	const ac = new AbortController();
	const stream = await client.chat.completions.create({ model: 'up-slow',
	    stream: true, messages: [{ role: 'user', content: 'a b c' }] },
	    { signal: ac.signal });
	let n = 0, id = null;
	try {
		for await (const chunk of stream) {
			id = chunk.id;
			if (++n === 5) ac.abort();
		}
	} catch { /* aborted */ }
	await new Promise((r) => setTimeout(r, 500));
	const rows = execFileSync('sqlite3', [STATE_DB, 'SELECT status || " " || ' +
	    'completion_tokens || " " || cost FROM requests ORDER BY started ' +
	    'DESC, rowid DESC LIMIT 1']).toString().trim().split(' ');
	const t = Number(rows[1]);
	ok(rows[0] === 'cancelled' && t >= 4 && t < 20 && Number(rows[2]) === 3 + t,
	    `upstream disconnect: charged ${rows.join(' ')} (id ${id})`);
}

// ---- metrics: counts, never content; operators only ------------------------
{
	const anon = await fetch(`${BASE_URL}/metrics`);
	ok(anon.status === 401, `metrics: no key, ${anon.status}`);
	const user = await fetch(`${BASE_URL}/metrics`,
	    { headers: { authorization: `Bearer ${KEY}` } });
	ok(user.status === 403 && (await user.text()).includes('read or admin'),
	    `metrics: a user key, ${user.status}`);
	const m = await (await fetch(`${BASE_URL}/metrics`,
	    { headers: { authorization: `Bearer ${process.env.KEY_READ}` } })).text();
	ok(/cloister_requests_total\{endpoint="chat",status="2xx"\} \d+/.test(m),
	    'metrics: request counter');
	ok(!m.includes(CANARY), 'metrics: no content');
}

console.log(`gateway (openai client): ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
