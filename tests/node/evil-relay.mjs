// The attacker of the proxy's tests: an HTTP(S) relay between
// `cloister proxy` and a gateway that changes one thing.
//
//   node evil-relay.mjs MODE PORT TARGET [OTHER] [CERT KEY]
//
// MODE:
//   pass            relay unchanged (the control)
//   tls             terminate TLS with its own key (CERT, KEY) and relay:
//                   a man in the middle
//   split           evidence from TARGET, everything else from OTHER: a
//                   gateway presenting another instance's evidence
//   replay          the first evidence it fetched, for every nonce after
//   tamper-receipt  one character of the Cloister-Receipt header changed
//   alter-body      one word of the answer changed
//   alter-stream    one word of a streamed answer changed
// TARGET and OTHER are http(s)://host:port; their certificates are not
// checked (the attacker does not care).
import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";

const [mode, port, target, other, cert, key] = process.argv.slice(2);
let saved = null;

function upstream(base, req, body) {
  const u = new URL(req.url, base);
  const mod = u.protocol === "https:" ? https : http;
  const headers = { ...req.headers };
  delete headers.host;
  return new Promise((resolve, reject) => {
    const r = mod.request(u, { method: req.method, headers, rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(body);
  });
}

function flip(s) {
  // Change a character in the middle of the signature part.
  const i = s.lastIndexOf(".") + 10;
  return s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const attestation = req.url.startsWith("/v1/attestation");
  let base = target;
  if (mode === "split" && !attestation) base = other;
  let up;
  if (mode === "replay" && attestation && req.url.includes("nonce=")) {
    if (!saved) saved = await upstream(base, req, body);
    up = saved;
  } else {
    up = await upstream(base, req, body);
  }
  let out = up.body;
  const headers = { ...up.headers };
  delete headers["content-length"];
  delete headers["transfer-encoding"];
  delete headers.connection;
  if (mode === "tamper-receipt" && headers["cloister-receipt"])
    headers["cloister-receipt"] = flip(headers["cloister-receipt"]);
  // alter-201: the altered answer as "201 Created", hoping a check of
  // "200" only is all there is.
  const alter201 = mode === "alter-201" && !attestation && up.status === 200;
  if (alter201) up.status = 201;
  if (((mode === "alter-body" || alter201) && !attestation && !String(headers["content-type"]).includes("event-stream")) ||
      (mode === "alter-stream" && String(headers["content-type"]).includes("event-stream"))) {
    const t = out.toString("utf8");
    const m = t.match(/"content":"([a-z]+)/);
    if (m) out = Buffer.from(t.replace(m[0], `"content":"${m[1] === "yes" ? "no" : "yes"}`));
  }
  res.writeHead(up.status, headers);
  res.end(out);
}

const onReq = (req, res) => handle(req, res).catch((e) => { res.writeHead(502); res.end(String(e)); });
const server = mode === "tls"
  ? https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, onReq)
  : http.createServer(onReq);
server.listen(Number(port), "127.0.0.1", () => console.error(`evil-relay ${mode} on ${port}`));
