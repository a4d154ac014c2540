// A PCCS for tests: serves saved Intel PCS answers from a directory at the
// v4 API paths, with their issuer chains in the response headers.
//   node fake-pccs.mjs DIR PORT [tamper]
// DIR holds tcbinfo*_<fmspc>.json, qeidentity*.json, pck_platform_crl.der,
// pck_processor_crl.der, intel_root_ca_crl.der and tcb_signing_cert.pem
// (as datachainlab-zkdcap's vectors do).  "tamper" changes one byte of
// every TCB info it serves.  Listens on 127.0.0.1 only.
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";

const [dir, port, tamper] = process.argv.slice(2);
const files = readdirSync(dir);
const chain = encodeURIComponent(readFileSync(`${dir}/tcb_signing_cert.pem`, "utf8"));
const find = (re) => files.find((f) => re.test(f));

http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  let file = null, headers = {};
  const m = u.pathname.match(/^\/(tdx|sgx)\/certification\/v4\/(tcb|qe\/identity|pckcrl|rootcacrl)$/);
  if (m && m[2] === "tcb") {
    file = find(new RegExp(`^tcbinfo.*_${(u.searchParams.get("fmspc") || "").toLowerCase()}\\.json$`));
    headers["TCB-Info-Issuer-Chain"] = chain;
  } else if (m && m[2] === "qe/identity") {
    file = find(/^qeidentity.*\.json$/);
    headers["SGX-Enclave-Identity-Issuer-Chain"] = chain;
  } else if (m && m[2] === "pckcrl") {
    file = find(new RegExp(`^pck_${u.searchParams.get("ca")}_crl\\.der$`));
  } else if (m && m[2] === "rootcacrl") {
    file = find(/^intel_root_ca_crl\.der$/);
  }
  console.log(`${req.method} ${req.url} -> ${file ?? 404}`);
  if (!file) { res.writeHead(404); res.end("not found"); return; }
  let body = readFileSync(`${dir}/${file}`);
  if (tamper && m[2] === "tcb") {
    body = Buffer.from(body.toString("utf8").replace(/"tcbEvaluationDataNumber":(\d+)/, (_, n) => `"tcbEvaluationDataNumber":${Number(n) + 1}`));
  }
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(port), "127.0.0.1");
