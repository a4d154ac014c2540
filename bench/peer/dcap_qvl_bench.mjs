// The peer of bench/verify_quote: @phala/dcap-qvl (pure JS) verifying the
// same quotes with the same collateral at the same pinned times.
//   node bench/peer/dcap_qvl_bench.mjs VECTORS_DIR [RUNS]
// Prints per-vector medians and one machine line:
//   peer median_us=… p90_us=…
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const qvl = require('@phala/dcap-qvl');
const version = require('@phala/dcap-qvl/package.json').version;

const vectors = process.argv[2];
const runs = Number(process.argv[3] || 300);
if (!vectors) {
  console.error('usage: dcap_qvl_bench.mjs VECTORS_DIR [RUNS]');
  process.exit(2);
}

// The success-path vectors of shared/vectors/tdx/MANIFEST.md (V1, V3, V9).
const cases = [
  ['V1 TDX v4', 'tdx/phala-dcap-qvl/tdx_quote.bin',
    'tdx/phala-dcap-qvl/tdx_quote_collateral.json', 1752919234, 'UpToDate'],
  ['V3 SGX v3', 'tdx/phala-dcap-qvl/sgx_quote.bin',
    'tdx/phala-dcap-qvl/sgx_quote_collateral.json', 1752919277,
    'ConfigurationAndSWHardeningNeeded'],
  ['V9 TDX v4 8000 B', 'tdx/datachainlab-zkdcap/quote_tdx_00806f050000.dat',
    'tdx/datachainlab-zkdcap/quote_tdx_00806f050000.dcapqvl-collateral.json',
    1737467060, 'OutOfDate'],
];

const quantile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

console.log(`@phala/dcap-qvl ${version}, node ${process.version}, ${runs} runs per vector`);
const all = [];
for (const [name, qpath, cpath, at, want] of cases) {
  const quote = new Uint8Array(readFileSync(join(vectors, qpath)));
  const collateral = JSON.parse(readFileSync(join(vectors, cpath), 'utf8'));
  // verify() throws on failure; a wrong status is a failure here too.
  const expect = (report) => {
    if (report.status !== want) {
      console.error(`${name}: peer says ${report.status}, expected ${want}`);
      process.exit(1);
    }
    return report;
  };
  const report = expect(qvl.verify(quote, collateral, at));
  for (let i = 0; i < 20; i++) expect(qvl.verify(quote, collateral, at));
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    const r = qvl.verify(quote, collateral, at);
    t.push(Number(process.hrtime.bigint() - s) / 1e3);
    expect(r);	// outside the timed region
  }
  t.sort((a, b) => a - b);
  all.push(...t);
  console.log(`  ${name.padEnd(18)} ${report.status.padEnd(34)} median ${quantile(t, 0.5).toFixed(1)} us  p90 ${quantile(t, 0.9).toFixed(1)} us`);
}
all.sort((a, b) => a - b);
console.log(`peer median_us=${quantile(all, 0.5).toFixed(1)} p90_us=${quantile(all, 0.9).toFixed(1)}`);
