// A scripted upstream for the gateway's tests, in the three APIs a backend
// may speak: OpenAI Chat Completions (/v1/chat/completions, /completions,
// /embeddings), Anthropic Messages (/v1/messages: x-api-key and
// anthropic-version required) and OpenAI Responses (/v1/responses).
// Fixed answers and usage, chosen by model name; up-cut breaks its stream
// off after two events.  Listens on 127.0.0.1 only and prints its port.
// GET /seen returns what it was last asked, with the headers the gateway
// may forward.
//   node upstream.mjs   (env: UP_KEY, the key it requires)
import http from 'node:http';

let seen = null;
const words = ['upstream', 'says', 'hello', 'from', 'loopback'];

function json(res, status, o) {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(o));
}

// up-huge reports absurd usage (near the largest 64-bit integer), up-real
// counts that are not whole numbers: neither may make a request free.
function usage(req) {
	if (req.model === 'up-huge')
		return { prompt_tokens: 9e18, completion_tokens: 9e18,
		    total_tokens: 9e18, prompt_tokens_details: { cached_tokens: 9e18 } };
	if (req.model === 'up-real')
		return { prompt_tokens: 1.5e19, completion_tokens: 2.5,
		    total_tokens: 12 };
	return { prompt_tokens: 7, completion_tokens: req.model === 'up-slow' ?
	    20 : words.length, total_tokens: 12,
	    prompt_tokens_details: { cached_tokens: 2 } };
}

// up-crlf frames its events as some servers do: CRLF line ends and no space
// after "data:".
function stream(res, req) {
	res.writeHead(200, { 'content-type': 'text/event-stream' });
	const crlf = req.model === 'up-crlf';
	const ev = (o) => crlf ? `data:${o}\r\n\r\n` : `data: ${o}\n\n`;
	const n = req.model === 'up-slow' ? 20 : words.length;
	const delay = req.model === 'up-slow' ? 100 : 0;
	const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk',
	    created: 1, model: req.model };
	let i = 0;
	const tick = () => {
		if (res.destroyed) return;
		if (req.model === 'up-cut' && i === 2)
			return res.destroy();
		if (i < n) {
			res.write(ev(JSON.stringify({ ...base, choices: [{
			    index: 0, delta: { content: (i ? ' ' : '') +
			    words[i % words.length] }, finish_reason: null }] })));
			i++;
			setTimeout(tick, delay);
			return;
		}
		res.write(ev(JSON.stringify({ ...base, choices: [{ index: 0,
		    delta: {}, finish_reason: 'stop' }] })));
		if (req.stream_options?.include_usage)
			res.write(ev(JSON.stringify({ ...base, choices: [],
			    usage: usage(req) })));
		res.end(ev('[DONE]'));
	};
	tick();
}

// ---- Anthropic Messages ------------------------------------------------------

// Input 5 + 2 cache reads + 1 cache write; 5 out.
const aUsage = { input_tokens: 5, cache_read_input_tokens: 2,
    cache_creation_input_tokens: 1, output_tokens: words.length };

function sse(res, event, o) {
	res.write(`event: ${event}\ndata: ${JSON.stringify(o)}\n\n`);
}

function messages(res, req) {
	if (req.model === 'up-400')
		return json(res, 400, { type: 'error', error: {
		    type: 'invalid_request_error', message: 'upstream refuses' } });
	if (req.model === 'up-529')
		return json(res, 529, { type: 'error', error: {
		    type: 'overloaded_error', message: 'Overloaded' } });
	const msg = { id: 'msg_up', type: 'message', role: 'assistant',
	    model: req.model, content: [], stop_reason: null,
	    stop_sequence: null, usage: { ...aUsage, output_tokens: 1 } };
	if (!req.stream)
		return json(res, 200, { ...msg, content: [{ type: 'text',
		    text: words.join(' ') }], stop_reason: 'end_turn',
		    usage: aUsage });
	res.writeHead(200, { 'content-type': 'text/event-stream' });
	sse(res, 'message_start', { type: 'message_start', message: msg });
	sse(res, 'content_block_start', { type: 'content_block_start',
	    index: 0, content_block: { type: 'text', text: '' } });
	sse(res, 'ping', { type: 'ping' });
	for (let i = 0; i < words.length; i++) {
		if (req.model === 'up-cut' && i === 2)	// after a flush
			return void setTimeout(() => res.destroy(), 50);
		sse(res, 'content_block_delta', { type: 'content_block_delta',
		    index: 0, delta: { type: 'text_delta',
		    text: (i ? ' ' : '') + words[i] } });
	}
	sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
	sse(res, 'message_delta', { type: 'message_delta', delta: {
	    stop_reason: 'end_turn', stop_sequence: null },
	    usage: { output_tokens: words.length } });
	sse(res, 'message_stop', { type: 'message_stop' });
	res.end();
}

// ---- OpenAI Responses --------------------------------------------------------

const rUsage = { input_tokens: 7, input_tokens_details: { cached_tokens: 2 },
    output_tokens: words.length, output_tokens_details: {
    reasoning_tokens: 0 }, total_tokens: 7 + words.length };

function responses(res, req) {
	if (req.model === 'up-400')
		return json(res, 400, { error: { message: 'upstream refuses',
		    type: 'invalid_request_error', code: 'upstream_says_no' } });
	const text = words.join(' ');
	const item = { type: 'message', id: 'msg_up', status: 'completed',
	    role: 'assistant', content: [{ type: 'output_text', text,
	    annotations: [] }] };
	const resp = (status, output, usage) => ({ id: 'resp_up',
	    object: 'response', created_at: 1, status, model: req.model,
	    output, usage });
	if (!req.stream)
		return json(res, 200, resp('completed', [item], rUsage));
	res.writeHead(200, { 'content-type': 'text/event-stream' });
	let seq = 0;
	const ev = (type, o) => sse(res, type, { type, sequence_number: seq++,
	    ...o });
	ev('response.created', { response: resp('in_progress', [], null) });
	ev('response.in_progress', { response: resp('in_progress', [], null) });
	ev('response.output_item.added', { output_index: 0, item: { ...item,
	    status: 'in_progress', content: [] } });
	ev('response.content_part.added', { output_index: 0, item_id: 'msg_up',
	    content_index: 0, part: { type: 'output_text', text: '',
	    annotations: [] } });
	for (let i = 0; i < words.length; i++) {
		if (req.model === 'up-cut' && i === 2)	// after a flush
			return void setTimeout(() => res.destroy(), 50);
		ev('response.output_text.delta', { output_index: 0,
		    item_id: 'msg_up', content_index: 0,
		    delta: (i ? ' ' : '') + words[i] });
	}
	ev('response.output_text.done', { output_index: 0, item_id: 'msg_up',
	    content_index: 0, text });
	ev('response.content_part.done', { output_index: 0, item_id: 'msg_up',
	    content_index: 0, part: item.content[0] });
	ev('response.output_item.done', { output_index: 0, item });
	ev('response.completed', { response: resp('completed', [item], rUsage) });
	res.end();
}

const server = http.createServer((hreq, res) => {
	if (hreq.method === 'GET' && hreq.url === '/seen')
		return json(res, 200, seen ?? {});
	let body = '';
	hreq.on('data', (c) => { body += c; });
	hreq.on('end', () => {
		const anthropic = hreq.url === '/v1/messages';
		if (anthropic ? hreq.headers['x-api-key'] !== process.env.UP_KEY ||
		    hreq.headers['anthropic-version'] !== '2023-06-01' :
		    hreq.headers.authorization !== `Bearer ${process.env.UP_KEY}`)
			return json(res, 401, { error: { message: 'bad upstream key',
			    type: 'invalid_request_error' } });
		let req;
		try { req = JSON.parse(body); } catch {
			return json(res, 400, { error: { message: 'bad json' } });
		}
		seen = { path: hreq.url, body: req, headers: {
		    'anthropic-beta': hreq.headers['anthropic-beta'] ?? null,
		    'x-app': hreq.headers['x-app'] ?? null } };
		if (anthropic)
			return messages(res, req);
		if (hreq.url === '/v1/responses')
			return responses(res, req);
		if (req.model === 'up-400')
			return json(res, 400, { error: { message: 'upstream refuses ' +
			    'this request', type: 'invalid_request_error',
			    code: 'upstream_says_no' } });
		if (req.model === 'up-500')
			return json(res, 500, { error: { message: 'boom' } });
		if (hreq.url === '/v1/embeddings')
			return json(res, 200, { object: 'list', model: req.model,
			    data: [{ object: 'embedding', index: 0,
			    embedding: [0.1, 0.2] }],
			    usage: { prompt_tokens: 4, total_tokens: 4 } });
		if (req.stream)
			return stream(res, req);
		json(res, 200, { id: 'chatcmpl-up', object: 'chat.completion',
		    created: 1, model: req.model, choices: [{ index: 0, message: {
		    role: 'assistant', content: words.join(' ') },
		    finish_reason: 'stop' }], usage: usage(req) });
	});
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
