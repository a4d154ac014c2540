// The KBS secret envelope against an independent JOSE implementation
// (npm jose) and RFC 8785 canonical JSON against npm canonicalize:
//   - a JWE cloister seals (test_kbs seal) opens with jose, and its
//     protected header is byte for byte what the Rust clients (kbs-types)
//     rebuild as the GCM AAD -- {alg, enc, then the rest, keys sorted,
//     compact} -- so real Confidential Containers guests can open it too
//   - a JWE jose seals opens with cloister (test_kbs open)
//   - Trustee's published vector and cloister's REPORT_DATA object hash
//     the same through canonicalize
// Ends with "N passed, N failed".
//   node kbs-jwe.mjs TEST_KBS
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import * as jose from 'jose';

const [testKbs] = process.argv.slice(2);
let passed = 0, failed = 0;
function ok(cond, what) {
	if (cond) passed++;
	else { failed++; console.log(`FAIL: ${what}`); }
}
const b64u = (b) => Buffer.from(b).toString('base64url');
const sha384 = (s) => createHash('sha384').update(s).digest('hex');

const { publicKey, privateKey } = await jose.generateKeyPair('ECDH-ES+A256KW',
    { crv: 'P-256', extractable: true });
const pub = await jose.exportJWK(publicKey);
const priv = await jose.exportJWK(privateKey);
const secret = 'sk-upstream-' + b64u(crypto.getRandomValues(new Uint8Array(12)));

// cloister seals, jose opens
const jwe = JSON.parse(execFileSync(testKbs, ['seal', pub.x, pub.y, secret]));
try {
	const { plaintext, protectedHeader } = await jose.flattenedDecrypt(jwe,
	    privateKey);
	ok(new TextDecoder().decode(plaintext) === secret, 'jose opened another text');
	ok(protectedHeader.alg === 'ECDH-ES+A256KW' && protectedHeader.enc ===
	    'A256GCM', `header ${JSON.stringify(protectedHeader)}`);
} catch (e) {
	ok(false, `jose could not open cloister's JWE: ${e.code ?? e.message}`);
}
ok(!('aad' in jwe) && Object.keys(jwe).sort().join() ===
    'ciphertext,encrypted_key,iv,protected,tag', `members ${Object.keys(jwe)}`);
// what kbs-types rebuilds: alg, enc, then the other members (serde_json's
// map: keys sorted, nested too), compact
const h = JSON.parse(Buffer.from(jwe.protected, 'base64url').toString());
const sortDeep = (v) => v && typeof v === 'object' && !Array.isArray(v) ?
    Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep(v[k])])) : v;
const { alg, enc, ...rest } = h;
const rebuilt = JSON.stringify({ alg, enc, ...sortDeep(rest) });
ok(b64u(rebuilt) === jwe.protected,
    `kbs-types would rebuild another AAD: ${rebuilt}`);
// a flipped tag bit: jose refuses too
const bad = { ...jwe, tag: b64u(Buffer.from(jwe.tag, 'base64url').map(
    (x, i) => i === 0 ? x ^ 1 : x)) };
await jose.flattenedDecrypt(bad, privateKey).then(
    () => ok(false, 'jose opened a tampered JWE'),
    (e) => ok(e.code === 'ERR_JWE_DECRYPTION_FAILED', `tampered: ${e.code}`));

// jose seals, cloister opens
const sealed = await new jose.FlattenedEncrypt(new TextEncoder().encode(secret))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' })
    .encrypt(publicKey);
try {
	const out = execFileSync(testKbs, ['open', priv.d],
	    { input: JSON.stringify(sealed) }).toString();
	ok(out === secret, 'cloister opened another text');
} catch (e) {
	ok(false, `cloister could not open jose's JWE: ${e.stderr}`);
}
// ... and refuses it with a tampered ciphertext
const sealedBad = { ...sealed, ciphertext: b64u(Buffer.from(sealed.ciphertext,
    'base64url').map((x, i) => i === 0 ? x ^ 1 : x)) };
try {
	execFileSync(testKbs, ['open', priv.d], { input: JSON.stringify(sealedBad),
	    stdio: ['pipe', 'pipe', 'pipe'] });
	ok(false, 'cloister opened a tampered JWE');
} catch (e) {
	ok(/tag does not verify/.test(String(e.stderr)), `tampered: ${e.stderr}`);
}

// canonical JSON: Trustee's vector, and the runtime object of test_kbs
ok(sha384(canonicalize({ b: 1, a: 'test', c: { d: 'e' } })) ===
    'e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c' +
    '4597480a186427c813ca941da78870c3', 'Trustee JCS vector');
ok(sha384(canonicalize({ 'tee-pubkey': { x: 'WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis',
    kty: 'EC', y: 'y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE', crv: 'P-256' },
    nonce: 'bm9uY2U', 'additional-evidence': '' })) ===
    'bfbec3ce664a7e20c660aee7ff973c2b2539171836ee7af982a55e2f60432b06' +
    'ae1e8a594417542b0d0e3422edeb2279', 'REPORT_DATA object (test_kbs.c)');

console.log(`kbs-jwe: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
