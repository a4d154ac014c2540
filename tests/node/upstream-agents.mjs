// A scripted upstream for coding agents, in three flavours: Chat
// Completions (/v1/chat/completions), Anthropic Messages (/v1/messages,
// also /v1/messages/count_tokens) and OpenAI Responses (/v1/responses),
// each streamed or whole.  It follows the gateway's mock script
// (daemon/infer/mock_script.c):
//   - the last turn is a tool's result: "Here is the listing:\n" and the
//     results' text;
//   - the last user turn asks for a listing ("list", "ls") and a shell
//     tool is declared: a call to it running ls; two calls (parallel;
//     in a chat stream their argument pieces interleave) when it asks
//     for two, both or parallel;
//   - otherwise five words.
// Faults, by the model's name: "-cut" ends the stream (the connection)
// halfway through the answer; "-err" sends an upstream error halfway
// (chat: a data: {"error":...} line; Messages: event: error; Responses:
// response.failed).
// Every request is one JSON line in $UP_LOG: path, flavour, model,
// stream, what it answered (calls, result, words), the shell tool it
// found, the tool results it was given (so a test sees whether the
// follow-up carried them), the fault.  A CONNECT is logged too and
// refused: pointed at as HTTPS_PROXY, this server shows an agent's
// attempts to reach the internet.
// Listens on 127.0.0.1 only and prints its port.
//   node upstream-agents.mjs  (env: UP_KEY, the key it requires as a
//                              Bearer token or x-api-key, if set;
//                              UP_LOG, the log file; UP_DUMP, a folder
//                              to keep each request's body in)
import http from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';

const KEY = process.env.UP_KEY;
const LOG = process.env.UP_LOG;
const DUMP = process.env.UP_DUMP;	// a folder: each request body as N.json
const words = ['upstream', 'says', 'hello', 'from', 'loopback'];
const shellNames = ['bash', 'exec_command', 'shell', 'run_shell_command',
    'shell_command'];
const shellParts = ['bash', 'shell', 'exec_command'];
let seq = 0;

function log(o) {
	if (LOG) appendFileSync(LOG, JSON.stringify(o) + '\n');
}

function json(res, status, o, headers = {}) {
	res.writeHead(status, { 'content-type': 'application/json',
	    ...headers });
	res.end(JSON.stringify(o));
}

function asks(s, list) {
	return typeof s === 'string' &&
	    s.toLowerCase().split(/[^a-z0-9]+/).some((w) => list.includes(w));
}

function textOf(c) {
	if (typeof c === 'string') return c;
	if (!Array.isArray(c)) return '';
	return c.map((p) => typeof p === 'string' ? p :
	    typeof p?.text === 'string' ? p.text : null)
	    .filter((t) => t !== null).join('\n');
}

// The prompt: the last text part that is not a <system-reminder> (a
// translator may fold a mid-conversation system message into the user
// turn as one, after the prompt), else the last text part.
function lastText(c) {
	if (typeof c === 'string') return c;
	if (!Array.isArray(c)) return null;
	const texts = c.map((p) => typeof p === 'string' ? p :
	    typeof p?.text === 'string' ? p.text : null)
	    .filter((t) => t !== null);
	const own = texts.filter((t) => !t.startsWith('<system-reminder>'));
	return own.at(-1) ?? texts.at(-1) ?? null;
}

// ---- the last turn, per flavour -------------------------------------------

const aside = (e) => e?.role === 'system' || e?.role === 'developer' ||
    e?.type === 'reasoning';

// { prompt } or { results: [text...] }
function lastTurn(flavour, req) {
	const arr = flavour === 'responses' ? req.input : req.messages;
	if (typeof arr === 'string') return { prompt: arr };
	if (!Array.isArray(arr)) return {};
	let i = arr.length;
	while (i > 0 && aside(arr[i - 1])) i--;
	if (i === 0) return {};
	const e = arr[i - 1];
	if (flavour === 'chat' && e.role === 'tool') {
		const r = [];
		for (let j = i - 1; j >= 0 && arr[j].role === 'tool'; j--)
			r.unshift(textOf(arr[j].content));
		return { results: r };
	}
	if (flavour === 'responses' && /^(custom_tool_call|function_call)_output$/
	    .test(e.type ?? '')) {
		const r = [];
		for (let j = i - 1; j >= 0 &&
		    /_call_output$/.test(arr[j].type ?? ''); j--)
			r.unshift(textOf(arr[j].output));
		return { results: r };
	}
	if (e.role !== 'user') return {};
	if (flavour === 'messages' && Array.isArray(e.content)) {
		const r = e.content.filter((b) => b?.type === 'tool_result');
		if (r.length) return { results: r.map((b) => textOf(b.content)) };
	}
	return { prompt: lastText(e.content) };
}

// The shell tool: { name, props } or null.
function shellTool(flavour, req) {
	const tools = (Array.isArray(req.tools) ? req.tools : []).map((t) => {
		if (flavour === 'chat')
			return { name: t?.function?.name,
			    props: t?.function?.parameters?.properties };
		if (flavour === 'responses' && t?.type !== 'function')
			return {};
		return { name: t?.name, props: flavour === 'messages' ?
		    t?.input_schema?.properties : t?.parameters?.properties };
	}).filter((t) => typeof t.name === 'string');
	return tools.find((t) => shellNames.includes(t.name.toLowerCase())) ??
	    tools.find((t) => shellParts.some((p) =>
	    t.name.toLowerCase().includes(p))) ?? null;
}

function shellArgs(props) {
	const arg = !props?.command && props?.cmd ? 'cmd' : 'command';
	const a = { [arg]: props?.[arg]?.type === 'array' ? ['ls'] : 'ls' };
	if (props?.description) a.description = 'List files';
	return JSON.stringify(a);
}

// What to say: { text, calls: [{ id, name, args }] }.
function plan(flavour, req, n) {
	const t = lastTurn(flavour, req);
	const tool = shellTool(flavour, req);
	const entry = { shell: tool?.name ?? null };
	if (t.results) {
		entry.kind = 'result';
		entry.results = t.results;
		return [{ text: 'Here is the listing:\n' + t.results.join('\n'),
		    calls: [] }, entry];
	}
	if (t.prompt && tool && asks(t.prompt, ['list', 'lists', 'listing',
	    'listings', 'ls'])) {
		const k = asks(t.prompt, ['two', 'both', 'parallel', 'twice']) ?
		    2 : 1;
		entry.kind = 'calls';
		entry.ncalls = k;
		const calls = [];
		for (let i = 0; i < k; i++)
			calls.push({ id: `${flavour === 'messages' ? 'toolu' :
			    'call'}_up${n}_${i}`, name: tool.name,
			    args: shellArgs(tool.props) });
		return [{ text: flavour === 'messages' ? 'I will run a tool.' :
		    '', calls }, entry];
	}
	entry.kind = 'words';
	return [{ text: words.join(' '), calls: [] }, entry];
}

// Text in pieces of a word and the space before it.
const pieces = (s) => s.match(/\s*\S+/g) ?? [];
const tokens = (s) => pieces(s).length;

function usageIn(body) {
	return Math.max(1, Math.ceil(body.length / 4));
}

// ---- streams ----------------------------------------------------------------

// Writes events one by one; fault cuts or breaks the stream halfway.
function sse(res, events, fault, errorEvent) {
	res.writeHead(200, { 'content-type': 'text/event-stream',
	    'cache-control': 'no-cache' });
	const half = Math.max(1, Math.floor(events.length / 2));
	events.forEach((e, i) => {
		if (res.destroyed) return;
		if (fault && i === half) {
			if (fault === 'cut') {
				// what was written gets there, then no chunked end
				setTimeout(() => res.socket?.destroy(), 100);
				return;
			}
			res.write(errorEvent);
			res.end();
			return;
		}
		if (fault && i > half) return;
		res.write(e);
		if (i === events.length - 1) res.end();
	});
}

function chat(res, req, p, inTok, fault, n) {
	const id = `chatcmpl-up${n}`;
	const out = tokens(p.text) + p.calls.reduce((a, c) =>
	    a + tokens(c.args), 0);
	const usage = { prompt_tokens: inTok, completion_tokens: out,
	    total_tokens: inTok + out, prompt_tokens_details:
	    { cached_tokens: 0 } };
	const finish = p.calls.length ? 'tool_calls' : 'stop';
	if (!req.stream)
		return json(res, 200, { id, object: 'chat.completion', created: 1,
		    model: req.model, choices: [{ index: 0, message: {
		    role: 'assistant', content: p.text || null,
		    ...(p.calls.length ? { tool_calls: p.calls.map((c) => ({
		    id: c.id, type: 'function', function: { name: c.name,
		    arguments: c.args } })) } : {}) }, finish_reason: finish }],
		    usage });
	const base = { id, object: 'chat.completion.chunk', created: 1,
	    model: req.model };
	const ch = (delta, fr = null) => `data: ${JSON.stringify({ ...base,
	    choices: [{ index: 0, delta, finish_reason: fr }] })}\n\n`;
	const ev = [ch({ role: 'assistant', content: '' })];
	for (const w of pieces(p.text)) ev.push(ch({ content: w }));
	p.calls.forEach((c, i) => ev.push(ch({ tool_calls: [{ index: i,
	    id: c.id, type: 'function', function: { name: c.name,
	    arguments: '' } }] })));
	// argument pieces of parallel calls interleave: 0, 1, 0, 1, ...
	const frags = p.calls.map((c) => c.args.match(/.{1,6}/gs) ?? []);
	for (let k = 0; k < Math.max(0, ...frags.map((f) => f.length)); k++)
		frags.forEach((f, i) => {
			if (k < f.length)
				ev.push(ch({ tool_calls: [{ index: i,
				    function: { arguments: f[k] } }] }));
		});
	ev.push(ch({}, finish));
	if (req.stream_options?.include_usage)
		ev.push(`data: ${JSON.stringify({ ...base, choices: [],
		    usage })}\n\n`);
	ev.push('data: [DONE]\n\n');
	sse(res, ev, fault, `data: ${JSON.stringify({ error: {
	    message: 'upstream failed mid-stream', type: 'server_error',
	    code: 'upstream_error' } })}\n\n`);
}

function messages(res, req, p, inTok, fault, n) {
	const id = `msg_up${n}`;
	const out = tokens(p.text) + p.calls.reduce((a, c) =>
	    a + tokens(c.args), 0);
	const stop = p.calls.length ? 'tool_use' : 'end_turn';
	const content = [];
	if (p.text) content.push({ type: 'text', text: p.text });
	for (const c of p.calls)
		content.push({ type: 'tool_use', id: c.id, name: c.name,
		    input: JSON.parse(c.args) });
	if (!req.stream)
		return json(res, 200, { id, type: 'message', role: 'assistant',
		    model: req.model, content, stop_reason: stop,
		    stop_sequence: null, usage: { input_tokens: inTok,
		    output_tokens: out } });
	const e = (type, o) => `event: ${type}\ndata: ${JSON.stringify({
	    type, ...o })}\n\n`;
	const ev = [e('message_start', { message: { id, type: 'message',
	    role: 'assistant', model: req.model, content: [],
	    stop_reason: null, stop_sequence: null, usage: {
	    input_tokens: inTok, output_tokens: 1 } } }), e('ping', {})];
	let idx = 0;
	if (p.text) {
		ev.push(e('content_block_start', { index: idx,
		    content_block: { type: 'text', text: '' } }));
		for (const w of pieces(p.text))
			ev.push(e('content_block_delta', { index: idx,
			    delta: { type: 'text_delta', text: w } }));
		ev.push(e('content_block_stop', { index: idx++ }));
	}
	for (const c of p.calls) {
		ev.push(e('content_block_start', { index: idx, content_block: {
		    type: 'tool_use', id: c.id, name: c.name, input: {} } }));
		for (const f of c.args.match(/.{1,6}/gs) ?? [])
			ev.push(e('content_block_delta', { index: idx, delta: {
			    type: 'input_json_delta', partial_json: f } }));
		ev.push(e('content_block_stop', { index: idx++ }));
	}
	ev.push(e('message_delta', { delta: { stop_reason: stop,
	    stop_sequence: null }, usage: { output_tokens: out } }));
	ev.push(e('message_stop', {}));
	sse(res, ev, fault, e('error', { error: { type: 'overloaded_error',
	    message: 'upstream failed mid-stream' } }));
}

function responses(res, req, p, inTok, fault, n) {
	const id = `resp_up${n}`;
	const out = tokens(p.text) + p.calls.reduce((a, c) =>
	    a + tokens(c.args), 0);
	const items = [];
	if (p.text)
		items.push({ type: 'message', id: `msg_up${n}`,
		    status: 'completed', role: 'assistant', content: [{
		    type: 'output_text', text: p.text, annotations: [] }] });
	p.calls.forEach((c, i) => items.push({ type: 'function_call',
	    id: `fc_up${n}_${i}`, status: 'completed', call_id: c.id,
	    name: c.name, arguments: c.args }));
	const usage = { input_tokens: inTok, input_tokens_details: {
	    cached_tokens: 0 }, output_tokens: out, output_tokens_details: {
	    reasoning_tokens: 0 }, total_tokens: inTok + out };
	const resp = (status, output, u) => ({ id, object: 'response',
	    created_at: 1, status, model: req.model, output,
	    parallel_tool_calls: true, tool_choice: 'auto', tools: [],
	    usage: u, error: null, incomplete_details: null });
	if (!req.stream)
		return json(res, 200, resp('completed', items, usage));
	let sn = 0;
	const e = (type, o) => `event: ${type}\ndata: ${JSON.stringify({
	    type, sequence_number: sn++, ...o })}\n\n`;
	const ev = [e('response.created', { response: resp('in_progress', [],
	    null) }), e('response.in_progress', { response:
	    resp('in_progress', [], null) })];
	items.forEach((it, oi) => {
		if (it.type === 'message') {
			ev.push(e('response.output_item.added', { output_index: oi,
			    item: { ...it, status: 'in_progress', content: [] } }));
			const part = { type: 'output_text', text: '',
			    annotations: [] };
			ev.push(e('response.content_part.added', { item_id: it.id,
			    output_index: oi, content_index: 0, part }));
			for (const w of pieces(p.text))
				ev.push(e('response.output_text.delta', {
				    item_id: it.id, output_index: oi,
				    content_index: 0, delta: w }));
			ev.push(e('response.output_text.done', { item_id: it.id,
			    output_index: oi, content_index: 0, text: p.text }));
			ev.push(e('response.content_part.done', { item_id: it.id,
			    output_index: oi, content_index: 0,
			    part: it.content[0] }));
		} else {
			ev.push(e('response.output_item.added', { output_index: oi,
			    item: { ...it, status: 'in_progress',
			    arguments: '' } }));
			for (const f of it.arguments.match(/.{1,6}/gs) ?? [])
				ev.push(e('response.function_call_arguments.delta', {
				    item_id: it.id, output_index: oi, delta: f }));
			ev.push(e('response.function_call_arguments.done', {
			    item_id: it.id, output_index: oi,
			    arguments: it.arguments }));
		}
		ev.push(e('response.output_item.done', { output_index: oi,
		    item: it }));
	});
	ev.push(e('response.completed', { response: resp('completed', items,
	    usage) }));
	const failed = e('response.failed', { response: { ...resp('failed',
	    [], null), error: { code: 'server_error',
	    message: 'upstream failed mid-stream' } } });
	sse(res, ev, fault, failed);
}

// ---- the server -------------------------------------------------------------

const flavours = { '/v1/chat/completions': 'chat',
	'/chat/completions': 'chat', '/v1/messages': 'messages',
	'/messages': 'messages', '/v1/responses': 'responses',
	'/responses': 'responses' };

function keyOk(h) {
	if (!KEY) return true;
	return h.authorization === `Bearer ${KEY}` || h['x-api-key'] === KEY;
}

const server = http.createServer((hreq, res) => {
	const n = ++seq;
	const path = hreq.url.split('?')[0];
	let body = '';
	hreq.on('data', (c) => { body += c; });
	hreq.on('end', () => {
		const entry = { n, method: hreq.method, path };
		if (/^[a-z]+:\/\//i.test(hreq.url)) {
			// a request for another host, as to a proxy
			log({ ...entry, method: 'PROXY', target: hreq.url });
			return json(res, 403, { error: { message: 'no internet' } });
		}
		if (!keyOk(hreq.headers)) {
			log({ ...entry, status: 401 });
			return json(res, 401, { error: { message: 'bad upstream key',
			    type: 'invalid_request_error' } });
		}
		if (DUMP) writeFileSync(`${DUMP}/${n}.json`, body);
		let req;
		try { req = JSON.parse(body); } catch {
			log({ ...entry, status: 400 });
			return json(res, 400, { error: { message: 'bad json' } });
		}
		if (/count_tokens$/.test(path)) {
			log({ ...entry, flavour: 'count_tokens', model: req.model });
			return json(res, 200, { input_tokens: usageIn(body) });
		}
		const flavour = flavours[path];
		if (!flavour || hreq.method !== 'POST') {
			log({ ...entry, status: 404 });
			return json(res, 404, { error: { message: 'no such path' } });
		}
		const fault = /-cut\b/.test(req.model ?? '') ? 'cut' :
		    /-err\b/.test(req.model ?? '') ? 'err' : null;
		const [p, what] = plan(flavour, req, n);
		log({ ...entry, flavour, model: req.model, stream: !!req.stream,
		    tools: Array.isArray(req.tools) ? req.tools.length : 0,
		    ...what, fault, bytes: body.length });
		const inTok = usageIn(body);
		({ chat, messages, responses })[flavour](res, req, p, inTok,
		    fault, n);
	});
});

// CONNECT host:port: logged and refused.
server.on('connect', (hreq, sock) => {
	log({ n: ++seq, method: 'CONNECT', target: hreq.url });
	sock.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
