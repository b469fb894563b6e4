// Measures propagation between replicas: how long after a write through A returns the entity is
// found by B's search. Needs no package (Node's fetch).
// Usage: node propagation.mjs A_URL B_URL TOKEN [SAMPLES]   (URLs like http://127.0.0.1:8000)
const [a, b, token, samplesArg] = process.argv.slice(2);
if (!a || !b || !token) {
  console.error('usage: node propagation.mjs A_URL B_URL TOKEN [SAMPLES]');
  process.exit(2);
}
const samples = Number(samplesArg ?? 200);

async function post(url, query, variables, auth) {
  const headers = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json();
}

function word() {
  let w = '';
  for (let i = 0; i < 12; i += 1) w += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return w;
}

const CREATE = 'mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }';
const SEARCH = 'query($q: String!) { search(query: $q, kinds: [COMPANY], first: 5) { edges { node { slug } } } }';
const afterReturn = [];
const fromStart = [];
for (let i = 0; i < samples; i += 1) {
  const name = word();
  const slug = `propagation-${name}`;
  const start = performance.now();
  const created = await post(a, CREATE, { input: { slug, name, stage: 'STARTUP', lang: 'fr' } }, true);
  if (created.errors) throw new Error(JSON.stringify(created.errors));
  const returned = performance.now();
  for (;;) {
    const found = await post(b, SEARCH, { q: name });
    if (found.data?.search?.edges?.some((e) => e.node.slug === slug)) break;
    if (performance.now() - returned > 10000) throw new Error(`${slug} not found on B after 10 s`);
  }
  const seen = performance.now();
  afterReturn.push(seen - returned);
  fromStart.push(seen - start);
}

function pct(list, p) {
  const sorted = [...list].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const fmt = (ms) => `${ms.toFixed(1)} ms`;
console.log(`samples: ${samples}`);
console.log(`write returned on A -> searchable on B: p50 ${fmt(pct(afterReturn, 50))}, p99 ${fmt(pct(afterReturn, 99))}, max ${fmt(Math.max(...afterReturn))}`);
console.log(`write sent to A -> searchable on B:     p50 ${fmt(pct(fromStart, 50))}, p99 ${fmt(pct(fromStart, 99))}, max ${fmt(Math.max(...fromStart))}`);
