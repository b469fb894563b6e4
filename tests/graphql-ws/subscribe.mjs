// A real graphql-ws client against two Pépite replicas (or one server twice): a subscriber on B
// receives a change made through A; one that reconnects with `after:` receives what it missed, in
// order and once; operations over the WebSocket need the token like over HTTP.
// Usage: node subscribe.mjs WRITER_URL SUBSCRIBER_URL TOKEN   (URLs like http://127.0.0.1:8000)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [writer, reader, token] = process.argv.slice(2);
if (!writer || !reader || !token) {
  console.error('usage: node subscribe.mjs WRITER_URL SUBSCRIBER_URL TOKEN');
  process.exit(2);
}
const wsUrl = `${reader.replace(/^http/, 'ws')}/graphql`;
const CHANGES = `subscription($after: ID) {
  changes(kinds: [COMPANY], after: $after) { operation kind id slug position at node { ... on Company { name } } }
}`;

function fail(message) {
  console.error(`FAIL ${message}`);
  process.exit(1);
}

function client(withToken) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: withToken ? { Authorization: `Bearer ${token}` } : undefined,
  });
}

async function create(slug, name) {
  const response = await fetch(`${writer}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }',
      variables: { input: { slug, name, stage: 'STARTUP', lang: 'fr' } },
    }),
  });
  const body = await response.json();
  if (body.errors) fail(`create ${slug}: ${JSON.stringify(body.errors)}`);
}

/** Subscribes after `after`, collects `count` events, then disposes of the client. */
async function collect(after, count, act = async () => {}) {
  const ws = client(false);
  const events = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${events.length} of ${count} events`)), 5000);
    ws.subscribe({ query: CHANGES, variables: { after } }, {
      next: (result) => {
        if (result.errors) return reject(new Error(JSON.stringify(result.errors)));
        events.push(result.data.changes);
        if (events.length === count) {
          clearTimeout(timer);
          resolve();
        }
      },
      error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
      complete: () => {},
    });
  });
  await act();
  try {
    await done;
  } catch (err) {
    fail(err.message);
  } finally {
    await ws.dispose();
  }
  return events;
}

const health = await (await fetch(`${reader}/health`)).json();
const start = String(health.index.position);

// Live: a change made through the writer reaches the subscriber on the other replica.
const [live] = await collect(start, 1, () => create('ws-live', 'Websocket Live'));
if (live.slug !== 'ws-live' || live.operation !== 'CREATED' || live.node?.name !== 'Websocket Live') {
  fail(`live event: ${JSON.stringify(live)}`);
}

// Missed while disconnected, then replayed after the last position received.
await create('ws-missed-1', 'Websocket Missed One');
await create('ws-missed-2', 'Websocket Missed Two');
const replayed = await collect(live.position, 2);
const slugs = replayed.map((e) => e.slug);
if (slugs.join(',') !== 'ws-missed-1,ws-missed-2') fail(`replayed ${JSON.stringify(slugs)}`);
if (!(Number(replayed[0].position) > Number(live.position))) fail('positions do not grow');

// Operations over the WebSocket: a mutation without the token is refused, with it it runs.
const MUTATION = 'mutation { createCompany(input: {slug: "ws-mutation", name: "Websocket Mutation", stage: STARTUP, lang: fr}) { slug } }';
async function run(withToken) {
  const ws = client(withToken);
  try {
    return await new Promise((resolve, reject) => {
      let result;
      ws.subscribe({ query: MUTATION }, { next: (r) => (result = r), error: reject, complete: () => resolve(result) });
    });
  } finally {
    await ws.dispose();
  }
}
const anonymous = await run(false);
if (anonymous?.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED') fail(`anonymous mutation: ${JSON.stringify(anonymous)}`);
const authorised = await run(true);
if (authorised?.data?.createCompany?.slug !== 'ws-mutation') fail(`mutation with token: ${JSON.stringify(authorised)}`);

console.log(`ok: live ${live.slug} at ${live.position}; replayed ${slugs.join(', ')}; mutation over WebSocket checked`);
