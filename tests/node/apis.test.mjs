// The three client APIs through `cloister serve` with the official clients
// (@anthropic-ai/sdk for Messages, openai for Chat and Responses), against
// the scripted upstream (upstream.mjs) in each API: passed through where
// client and backend speak the same one, translated where they do not.
// Every receipt is checked with `cloister verify receipt` over the exact
// bytes that crossed the wire.  Ends with "N passed, N failed".
//   node apis.test.mjs  (env: BASE_URL KEY KEY_EMPTY CLOISTER WORK
//                        STATE_DB UP_URL)
import { execFileSync } from 'node:child_process';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { saveEvidence, splitReceipt, wire } from './wire.mjs';

const { BASE_URL, KEY, KEY_EMPTY, CLOISTER, WORK, STATE_DB, UP_URL } =
    process.env;
const TEXT = 'upstream says hello from loopback';
let passed = 0, failed = 0;

function ok(cond, what) {
	if (cond) passed++;
	else { failed++; console.log(`FAIL: ${what}`); }
}


const evidence = await saveEvidence(BASE_URL, `${WORK}/evidence.json`);
const { recordingFetch, lastWire, verifyReceipt } = wire({
    cloister: CLOISTER, work: WORK, evidence, ok });
const anthropic = (key = KEY) => new Anthropic({ baseURL: BASE_URL,
    apiKey: key, fetch: recordingFetch, maxRetries: 0 });
const openai = (key = KEY) => new OpenAI({ baseURL: `${BASE_URL}/v1`,
    apiKey: key, fetch: recordingFetch, maxRetries: 0 });


async function seen() {
	return (await fetch(`${UP_URL}/seen`)).json();
}

// The ledger row, once the journal has applied it.
async function row(id) {
	for (let i = 0; i < 50; i++) {
		const out = execFileSync('sqlite3', ['-json', STATE_DB,
		    `SELECT api, status, cost, prompt_tokens, completion_tokens, ` +
		    `cached_tokens, reserved FROM requests WHERE id = '${id}'`])
		    .toString().trim();
		if (out) return JSON.parse(out)[0];
		await new Promise((r) => setTimeout(r, 100));
	}
	return null;
}

// Events of a stream's bytes: [name or null, parsed data].
function events(buf) {
	return buf.toString().split('\n\n').filter((b) => b.includes('data:'))
	    .map((b) => {
		const ev = /^event: (.*)$/m.exec(b)?.[1] ?? null;
		const d = /^data: (.*)$/m.exec(b)?.[1];
		let data = d;
		try { data = JSON.parse(d); } catch { /* [DONE] */ }
		return [ev, data];
	    });
}

async function expectError(p, status, what) {
	try {
		await p;
		ok(false, `${what}: no error`);
		return null;
	} catch (e) {
		ok(e.status === status, `${what}: status ${e.status}, want ${status}`);
		return e;
	}
}

const msgBody = (model, extra = {}) => ({ model, max_tokens: 1000,
    system: [{ type: 'text', text: 'be brief',
        cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'say hello' }],
    metadata: { user_id: '{"device_id":"dev-secret-1"}' }, ...extra });

// ---- Messages, passed through to an Anthropic backend ------------------------
{
	const { data, response } = await anthropic().messages.create(
	    msgBody('a-small'), { headers: { 'anthropic-beta': 'cloister-test-1' } })
	    .withResponse();
	ok(data.content[0].text === TEXT, 'messages: the upstream\'s text');
	ok(data.usage.input_tokens === 5 && data.usage.output_tokens === 5,
	    'messages: the upstream\'s usage, as it came');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'messages');
	// 5 in + 2 cache reads + 1 cache write, 5 out: 5 + 1 + 2 + 10.
	ok(c && c.api === 'messages' && c.backend_type === 'anthropic' &&
	    c.usage.prompt_tokens === 8 && c.usage.cached_tokens === 2 &&
	    c.usage.completion_tokens === 5 && c.cost === 18,
	    `messages: receipt claims ${JSON.stringify(c)}`);
	const s = await seen();
	ok(s.path === '/v1/messages' && s.body.model === 'up-echo',
	    'messages: the backend\'s model name, not the client\'s');
	ok(s.body.max_tokens === 64, 'messages: max_tokens clamped to max_output');
	ok(s.body.metadata?.user_id === undefined,
	    'messages: no device id to a standard provider');
	ok(s.headers['anthropic-beta'] === 'cloister-test-1',
	    'messages: the beta header goes on to Anthropic');
	// The hold: every body byte an input token, and the clamped 64
	// tokens out, not the 1000 asked for.
	const r = await row(c?.id);
	ok(r && r.api === 'messages' && r.cost === 18 &&
	    r.reserved === Buffer.byteLength(e.request) + 64 * 2,
	    `messages: ledger row ${JSON.stringify(r)}`);
}
{
	const stream = await anthropic().messages.create(
	    { ...msgBody('a-small'), stream: true });
	let text = '';
	for await (const ev of stream)
		if (ev.type === 'content_block_delta') text += ev.delta.text;
	ok(text === TEXT, 'messages stream: the text');
	const e = await lastWire();
	const [bytes, jws] = splitReceipt(e.response);
	const names = events(bytes).map(([n]) => n);
	ok(names[0] === 'message_start' && names.at(-1) === 'message_stop' &&
	    names.includes('content_block_stop'), 'messages stream: events ' +
	    'as Anthropic sends them');
	const c = verifyReceipt(jws, e.request, bytes, 'messages stream');
	ok(c && c.cost === 18 && c.usage.completion_tokens === 5,
	    'messages stream: billed on the upstream\'s usage');
}
{
	const e = await expectError(anthropic().messages.create(
	    msgBody('a-400')), 400, 'messages: an upstream 400');
	ok(e?.error?.type === 'error' &&
	    e?.error?.error?.type === 'invalid_request_error',
	    'messages: an upstream 400 in Anthropic\'s shape');
	await expectError(anthropic().messages.create(msgBody('a-529')), 529,
	    'messages: an upstream 529 stays 529');
	const e2 = await expectError(anthropic(KEY_EMPTY).messages.create(
	    msgBody('a-small')), 402, 'messages: an empty balance');
	ok(e2?.error?.error?.type === 'billing_error',
	    'messages: an empty balance is a billing_error');
	// The backend refuses the gateway's own key: not the client's fault,
	// and a 401 would have Claude Code retry for minutes.
	const e4 = await expectError(anthropic().messages.create(
	    msgBody('w-small')), 502, 'messages: the backend refuses our key');
	ok(e4?.error?.error?.type === 'api_error', 'messages: that 502 in ' +
	    'Anthropic\'s shape');
	const e3 = await expectError(anthropic('sk-clo-nosuchkey').messages
	    .create(msgBody('a-small')), 401, 'messages: an unknown key');
	ok(e3?.error?.type === 'error', 'messages: 401 in Anthropic\'s shape');
}
{
	// The upstream breaks off mid-stream: an error event, nothing charged.
	const stream = await anthropic().messages.create(
	    { ...msgBody('a-cut'), stream: true });
	let err = null;
	try { for await (const ev of stream) void ev; } catch (x) { err = x; }
	const e = await lastWire();
	const evs = events(splitReceipt(e.response)[0]);
	ok(evs.some(([n]) => n === 'error'), 'messages cut: an error event');
	ok(err !== null, 'messages cut: the client sees the error');
	const id = e.headers.get('cloister-request-id');
	const r = await row(id);
	ok(r && r.status === 'failed' && r.cost === 0,
	    `messages cut: nothing charged ${JSON.stringify(r)}`);
}

// ---- Responses, passed through to an OpenAI Responses backend ---------------
const respBody = (model, extra = {}) => ({ model, max_output_tokens: 1000,
    input: [{ role: 'developer', content: 'be brief' },
        { type: 'message', role: 'user',
          content: [{ type: 'input_text', text: 'say hello' }] }],
    store: false, ...extra });
{
	const { data, response } = await openai().responses.create(
	    respBody('r-small')).withResponse();
	ok(data.output_text === TEXT, 'responses: the upstream\'s text');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'responses');
	// 7 in of which 2 cached, 5 out: 5 + 1 + 10.
	ok(c && c.api === 'responses' && c.backend_type === 'openai-responses' &&
	    c.usage.prompt_tokens === 7 && c.usage.cached_tokens === 2 &&
	    c.cost === 16, `responses: receipt claims ${JSON.stringify(c)}`);
	const s = await seen();
	ok(s.path === '/v1/responses' && s.body.model === 'up-echo' &&
	    s.body.max_output_tokens === 64, 'responses: model and clamp');
}
{
	const stream = await openai().responses.create(
	    { ...respBody('r-small'), stream: true });
	let done = null;
	for await (const ev of stream)
		if (ev.type === 'response.completed') done = ev.response;
	ok(done?.usage?.output_tokens === 5, 'responses stream: completed');
	const e = await lastWire();
	const [bytes, jws] = splitReceipt(e.response);
	const c = verifyReceipt(jws, e.request, bytes, 'responses stream');
	ok(c && c.cost === 16, 'responses stream: billed on usage');
}
{
	const e = await expectError(openai().responses.create(
	    respBody('r-small', { previous_response_id: 'resp_1' })), 400,
	    'responses: previous_response_id');
	ok(e?.code === 'previous_response_id_unsupported',
	    'responses: previous_response_id refused by name');
	const e2 = await expectError(openai(KEY_EMPTY).responses.create(
	    respBody('r-small')), 429, 'responses: an empty balance');
	ok(e2?.code === 'insufficient_quota',
	    'responses: an empty balance is insufficient_quota (final for Codex)');
	const stream = await openai().responses.create(
	    { ...respBody('r-cut'), stream: true });
	const types = [];
	try { for await (const ev of stream) types.push(ev.type); } catch { /**/ }
	ok(types.includes('response.failed') ||
	    events(splitReceipt((await lastWire()).response)[0])
	    .some(([n]) => n === 'response.failed'),
	    'responses cut: response.failed');
}

// ---- Messages and Responses clients on a chat backend: translated ----------
{
	const { data, response } = await anthropic().messages.create(
	    msgBody('claude-opus-5-5')).withResponse();
	ok(data.type === 'message' && data.content?.[0]?.text === TEXT &&
	    data.stop_reason === 'end_turn', 'messages→chat: the answer');
	// chat's 7 prompt tokens hold 2 cached ones; Anthropic counts apart.
	ok(data.usage?.input_tokens === 5 &&
	    data.usage?.cache_read_input_tokens === 2 &&
	    data.usage?.output_tokens === 5, 'messages→chat: usage');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'messages→chat');
	ok(c && c.api === 'messages' && c.backend_type === 'openai-compatible' &&
	    c.model === 'c-small' && c.cost === 16,
	    `messages→chat: receipt claims ${JSON.stringify(c)}`);
	const s = await seen();
	ok(s.path === '/v1/chat/completions' && s.body.model === 'up-echo' &&
	    s.body.max_tokens === 64 && s.body.messages?.[0]?.role === 'system',
	    `messages→chat: the upstream's chat request ${JSON.stringify(s.body)}`);
	ok(!JSON.stringify(s.body).includes('dev-secret-1'),
	    'messages→chat: no device id upstream');
}
{
	const stream = await anthropic().messages.create(
	    { ...msgBody('claude-opus-5-5'), stream: true });
	let text = '', stop = null, usage = null;
	for await (const ev of stream) {
		if (ev.type === 'content_block_delta') text += ev.delta.text;
		if (ev.type === 'message_delta') {
			stop = ev.delta.stop_reason;
			usage = ev.usage;
		}
	}
	ok(text === TEXT && stop === 'end_turn', 'messages→chat stream: text');
	ok(usage?.input_tokens === 5 && usage?.output_tokens === 5,
	    `messages→chat stream: usage in message_delta ${JSON.stringify(usage)}`);
	const e = await lastWire();
	const [bytes, jws] = splitReceipt(e.response);
	const c = verifyReceipt(jws, e.request, bytes, 'messages→chat stream');
	ok(c && c.cost === 16, 'messages→chat stream: billed on usage');
	const s = await seen();
	ok(s.body.stream === true && s.body.stream_options?.include_usage === true,
	    'messages→chat stream: usage asked of the upstream');
}
{
	const { data, response } = await openai().responses.create(
	    respBody('gpt-5.5')).withResponse();
	ok(data.output_text === TEXT && data.status === 'completed',
	    'responses→chat: the answer');
	ok(data.usage?.input_tokens === 7 &&
	    data.usage?.input_tokens_details?.cached_tokens === 2,
	    'responses→chat: usage');
	const e = await lastWire();
	const c = verifyReceipt(response.headers.get('cloister-receipt'),
	    e.request, e.response, 'responses→chat');
	ok(c && c.api === 'responses' && c.cost === 16, 'responses→chat: claims');
	const s = await seen();
	ok(s.path === '/v1/chat/completions' && s.body.messages?.[0]?.role ===
	    'system', 'responses→chat: developer → system');
}
{
	const stream = await openai().responses.create(
	    { ...respBody('gpt-5.5'), stream: true });
	const types = [];
	let text = '';
	for await (const ev of stream) {
		types.push(ev.type);
		if (ev.type === 'response.output_text.delta') text += ev.delta;
	}
	ok(text === TEXT && types.includes('response.output_item.done') &&
	    types.at(-1) === 'response.completed',
	    `responses→chat stream: ${types.join(',')}`);
	const e = await lastWire();
	const [bytes, jws] = splitReceipt(e.response);
	verifyReceipt(jws, e.request, bytes, 'responses→chat stream');
}
{
	// A chat client on the Anthropic and Responses backends.
	for (const model of ['a-small', 'r-small']) {
		const { data, response } = await openai().chat.completions.create({
		    model, max_tokens: 100,
		    messages: [{ role: 'system', content: 'be brief' },
		        { role: 'user', content: 'say hello' }] }).withResponse();
		ok(data.choices?.[0]?.message?.content === TEXT &&
		    data.choices[0].finish_reason === 'stop',
		    `chat→${model}: the answer`);
		const e = await lastWire();
		const c = verifyReceipt(response.headers.get('cloister-receipt'),
		    e.request, e.response, `chat→${model}`);
		ok(c && c.api === 'chat' && c.cost === (model === 'a-small' ?
		    18 : 16), `chat→${model}: billed ${c?.cost}`);
	}
	const s = await seen();
	ok(s.path === '/v1/responses', 'chat→r-small: sent as Responses');
	// An Anthropic 529 is a 503 for an OpenAI client.
	await expectError(openai().chat.completions.create({ model: 'a-529',
	    max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), 503,
	    'chat→anthropic: 529 becomes 503');
}

// ---- a chat stream whose upstream breaks off: an error chunk, no charge ------
{
	const stream = await openai().chat.completions.create({ model: 'c-cut',
	    stream: true, max_tokens: 50,
	    messages: [{ role: 'user', content: 'say hello' }] });
	let err = null;
	try { for await (const c of stream) void c; } catch (x) { err = x; }
	const e = await lastWire();
	const evs = events(splitReceipt(e.response)[0]);
	ok(evs.some(([, d]) => d && typeof d === 'object' && d.error),
	    'chat cut: an error chunk ends the stream');
	ok(err !== null, 'chat cut: the client sees the error');
	const r = await row(e.headers.get('cloister-request-id'));
	ok(r && r.status === 'failed' && r.cost === 0,
	    `chat cut: nothing charged ${JSON.stringify(r)}`);
}

// ---- count_tokens: 26 at once, never charged ---------------------------------
{
	const before = execFileSync('sqlite3', [STATE_DB,
	    'SELECT count(*) FROM requests']).toString().trim();
	const body = JSON.stringify(msgBody('mock-small'));
	const all = await Promise.all(Array.from({ length: 26 }, () =>
	    fetch(`${BASE_URL}/v1/messages/count_tokens?beta=true`, {
	        method: 'POST', body, headers: { 'x-api-key': KEY,
	        'anthropic-version': '2023-06-01',
	        'content-type': 'application/json' } })
	    .then(async (r) => [r.status, await r.json()])));
	ok(all.every(([s, j]) => s === 200 && j.input_tokens === 4),
	    `count_tokens: 26 answers ${JSON.stringify(all[0])}`);
	const sdk = await anthropic().messages.countTokens({ model: 'a-small',
	    messages: [{ role: 'user', content: 'say hello' }] });
	ok(sdk.input_tokens > 0, 'count_tokens: the SDK reads it');
	await new Promise((r) => setTimeout(r, 500));
	const after = execFileSync('sqlite3', [STATE_DB,
	    'SELECT count(*) FROM requests']).toString().trim();
	ok(before === after, 'count_tokens: nothing recorded or charged');
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
