// Runs graphql-http's audit of the GraphQL-over-HTTP specification against a live server and
// exits non-zero on any MUST (error) or SHOULD (warn) failure; MAY items (notice) are listed only.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  const line = `${result.status.padEnd(7)} ${result.name}`;
  if (result.status === 'ok') {
    console.log(line);
  } else {
    if (result.status === 'error' || result.status === 'warn') failed += 1;
    console.log(`${line}\n        ${result.reason}`);
  }
}
console.log(`audit: ${results.length} checks, ${failed} MUST or SHOULD not met`);
process.exit(failed === 0 ? 0 : 1);
