// A recording pass-through between a coding agent and cloister serve: it
// keeps the exact bytes of every request and answer, so that the test can
// verify each receipt the agent was given against what crossed the wire.
// http://127.0.0.1:PORT/a/TAG/rest is forwarded to TARGET/rest, and
// written to DIR/TAG/NNN.req (the request body), NNN.res (the answer's
// body) and NNN.json (method, path, status, the answer's headers, the
// seconds it took).  Listens on 127.0.0.1 only and prints its port.
//   node recorder.mjs TARGET DIR
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';

const [target, dir] = process.argv.slice(2);
const up = new URL(target);
const seq = new Map();
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding',
	'host', 'proxy-connection', 'upgrade']);

const server = http.createServer((req, res) => {
	const m = /^\/a\/([A-Za-z0-9_-]+)(\/.*)$/.exec(req.url);
	if (!m) {
		res.writeHead(404).end();
		return;
	}
	const [, tag, rest] = m;
	const n = (seq.get(tag) ?? 0) + 1;
	seq.set(tag, n);
	const base = `${dir}/${tag}/${String(n).padStart(3, '0')}`;
	mkdirSync(`${dir}/${tag}`, { recursive: true });
	const t0 = Date.now();
	const body = [];
	req.on('data', (c) => body.push(c));
	req.on('end', () => {
		const reqBytes = Buffer.concat(body);
		writeFileSync(`${base}.req`, reqBytes);
		const headers = {};
		for (const [k, v] of Object.entries(req.headers))
			if (!hop.has(k)) headers[k] = v;
		headers['content-length'] = String(reqBytes.length);
		const fwd = http.request({ host: up.hostname, port: up.port,
		    method: req.method, path: rest, headers }, (ures) => {
			const out = [];
			const rh = {};
			for (const [k, v] of Object.entries(ures.headers))
				if (!hop.has(k)) rh[k] = v;
			res.writeHead(ures.statusCode, rh);
			ures.on('data', (c) => { out.push(c); res.write(c); });
			const done = (cut) => {
				writeFileSync(`${base}.res`, Buffer.concat(out));
				writeFileSync(`${base}.json`, JSON.stringify({
				    method: req.method, path: rest,
				    status: ures.statusCode, headers: ures.headers,
				    cut, seconds: (Date.now() - t0) / 1000 }));
			};
			ures.on('end', () => { done(false); res.end(); });
			ures.on('error', () => { done(true); res.destroy(); });
		});
		fwd.on('error', (e) => {
			writeFileSync(`${base}.json`, JSON.stringify({
			    method: req.method, path: rest, status: 0,
			    error: String(e) }));
			res.writeHead(502).end();
		});
		fwd.end(reqBytes);
	});
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
