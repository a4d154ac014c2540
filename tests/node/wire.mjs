// What the gateway's client suites share (gateway.test.mjs,
// apis.test.mjs): a fetch that keeps the exact bytes that crossed the
// wire, and receipts checked with `cloister verify receipt` over them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

// wire({ cloister, work, evidence, ok }): ok(cond, what) counts checks.
export function wire({ cloister, work, evidence, ok }) {
	const seen = [];
	let seq = 0;

	// A fetch that keeps the exact request and response bytes.
	async function recordingFetch(url, init) {
		const res = await fetch(url, init);
		const entry = { url: String(url), request: init?.body ?? null,
		    status: res.status, headers: res.headers };
		seen.push(entry);
		const copy = res.clone();
		entry.done = copy.arrayBuffer().then((b) => { entry.response =
		    Buffer.from(b); }, () => { entry.response = Buffer.alloc(0); });
		return res;
	}

	async function lastWire() {
		const e = seen[seen.length - 1];
		await e.done;
		return e;
	}

	// Verify a receipt with the CLI; the response bytes exclude the
	// stream's receipt comment.  The claims, or null.
	function verifyReceipt(jws, request, response, what) {
		const n = seq++;
		const files = [`${work}/r${n}.jws`, `${work}/q${n}.json`,
		    `${work}/s${n}.bin`];
		writeFileSync(files[0], jws ?? '');
		writeFileSync(files[1], request);
		writeFileSync(files[2], response);
		try {
			const out = execFileSync(cloister, ['verify', 'receipt',
			    files[0], '--evidence', evidence, '--request', files[1],
			    '--response', files[2], '--allow-simulated', '--json']);
			const j = JSON.parse(out);
			ok(j.verified === true && j.steps.every((s) => s.ok),
			    `${what}: receipt verifies`);
			return j.claims;
		} catch (e) {
			ok(false, `${what}: verify receipt failed: ${e.stdout ?? e}`);
			return null;
		}
	}

	return { recordingFetch, lastWire, verifyReceipt };
}

// A stream's bytes before its receipt comment, and the receipt.
export function splitReceipt(buf) {
	const marker = Buffer.from(': cloister-receipt ');
	const i = buf.indexOf(marker);
	if (i < 0) return [buf, null];
	return [buf.subarray(0, i),
	    buf.subarray(i + marker.length).toString().trim()];
}

// The start-up evidence bundle, saved where `verify receipt` reads it.
export async function saveEvidence(baseUrl, path) {
	writeFileSync(path, Buffer.from(await (await fetch(
	    `${baseUrl}/v1/attestation`)).arrayBuffer()));
	return path;
}
