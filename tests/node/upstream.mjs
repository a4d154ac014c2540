// A scripted OpenAI-compatible upstream for the gateway's tests: fixed
// answers and usage, chosen by model name.  Listens on 127.0.0.1 only and
// prints its port.  GET /seen returns what it was last asked.
//   node upstream.mjs   (env: UP_KEY, the bearer token it requires)
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

const server = http.createServer((hreq, res) => {
	if (hreq.method === 'GET' && hreq.url === '/seen')
		return json(res, 200, seen ?? {});
	let body = '';
	hreq.on('data', (c) => { body += c; });
	hreq.on('end', () => {
		if (hreq.headers.authorization !== `Bearer ${process.env.UP_KEY}`)
			return json(res, 401, { error: { message: 'bad upstream key',
			    type: 'invalid_request_error' } });
		let req;
		try { req = JSON.parse(body); } catch {
			return json(res, 400, { error: { message: 'bad json' } });
		}
		seen = { path: hreq.url, body: req };
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
