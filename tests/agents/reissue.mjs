// Sends one request an agent made again, whole (not streamed), with the
// vendor's own SDK, and keeps the exact request and answer bytes and the
// Cloister-Receipt header for `cloister verify receipt`.
//   node reissue.mjs API BASE_URL KEY REQUEST_FILE OUT_PREFIX
// API: messages (@anthropic-ai/sdk), responses or chat (openai).  Writes
// OUT_PREFIX.req, .res and .jws; prints the answer's text.
import { readFileSync, writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const [api, base, key, file, out] = process.argv.slice(2);
const body = JSON.parse(readFileSync(file, 'utf8'));
body.stream = false;
delete body.stream_options;
// The SDK refuses a whole answer that could take past ten minutes.
if (body.max_tokens > 4096) body.max_tokens = 4096;

let wire = null;
async function recordingFetch(url, init) {
	const res = await fetch(url, init);
	wire = { request: init?.body, receipt: res.headers.get('cloister-receipt'),
	    response: Buffer.from(await res.clone().arrayBuffer()) };
	return res;
}

let text;
if (api === 'messages') {
	const c = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0,
	    fetch: recordingFetch });
	const m = await c.messages.create(body);
	text = m.content.filter((b) => b.type === 'text').map((b) => b.text)
	    .join('') + JSON.stringify(m.content.filter((b) =>
	    b.type === 'tool_use'));
} else {
	const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: key,
	    maxRetries: 0, fetch: recordingFetch });
	if (api === 'responses') {
		const r = await c.responses.create(body);
		text = JSON.stringify(r.output);
	} else {
		const r = await c.chat.completions.create(body);
		text = JSON.stringify(r.choices[0].message);
	}
}
writeFileSync(`${out}.req`, wire.request);
writeFileSync(`${out}.res`, wire.response);
writeFileSync(`${out}.jws`, wire.receipt ?? '');
console.log(text);
