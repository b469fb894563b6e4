//! Pépite's benchmark: import, indexing, search, lookups, suggestions and write-to-searchable
//! latency through GraphQL over HTTP, side by side with SQLite FTS5 and PostgreSQL full-text
//! search on the same data, and raw tantivy in-process.
//!
//! Run: `cargo bench --bench pepite -- --companies 10000,100000 [--postgres URL]`
//! With `--backend postgres`, Pépite itself runs on PostgreSQL (a database of its own at
//! `--postgres`'s server): import, rebuild, the search mix, lookups and writes, without the
//! competitors (they are the same as on SQLite).
//! It prints a Markdown report on standard output; progress goes to standard error.

// The report runs its steps in order, in one function per size: the length lint is for src/.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pepite::config::Settings;
use pepite::search::query::SearchRequest;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// The fixed query mix: (label, text, filter).
const MIX: &[(&str, &str, Option<&str>)] = &[
    ("one word", "carburants", None),
    ("three words", "recyclage batteries électriques", None),
    ("typo", "combustoin", None),
    ("prefix", "photovolt", None),
    (
        "with filters",
        "énergie solaire",
        Some(r#"{"stage": ["SME", "STARTUP"], "city": ["Marseille", "Aix-en-Provence"]}"#),
    ),
    ("English", "heat pumps", None),
    ("cross-language", "fuel analysis", None),
];
const SEARCH: &str = "query($q: String!, $f: SearchFilter) { search(query: $q, filter: $f, first: 10) {
    totalCount edges { score highlights { field snippet } node { __typename slug name } }
    facets { kind { value count } domain { value count } stage { value count } city { value count } }
} }";
/// The same search without facets.
const SEARCH_PLAIN: &str = "query($q: String!, $f: SearchFilter) { search(query: $q, filter: $f, first: 10) {
    totalCount edges { score highlights { field snippet } node { __typename slug name } }
} }";
const ROUNDS: usize = 30;
const TOKEN: &str = "bench-token";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = arg("--companies")
        .unwrap_or_else(|| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("--companies takes numbers"))
        .collect();
    let postgres = arg("--postgres").unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("# Pépite benchmark\n");
    println!(
        "- command: `cargo bench --bench pepite -- --companies {}`",
        sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")
    );
    println!("- machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), memory());
    println!("- latencies in milliseconds; each search returns 10 hits with highlights, and four facets unless said\n");
    let on_postgres = arg("--backend").is_some_and(|b| b == "postgres");
    for n in sizes {
        if on_postgres {
            runtime.block_on(run_on_postgres(n, &postgres));
        } else {
            runtime.block_on(run(n, &postgres));
        }
    }
}

fn memory() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string()))
        .map(|kb| format!("{:.0} GiB memory", kb.parse::<f64>().unwrap_or(0.0) / 1024.0 / 1024.0))
        .unwrap_or_default()
}

fn pepite() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pepite"));
    c.env_remove("PEPITE_DATABASE_URL").env_remove("PEPITE_DATA_DIR").arg("--log").arg("warn");
    c
}

fn timed(mut command: Command) -> Duration {
    let start = Instant::now();
    let status = command.status().expect("run pepite");
    assert!(status.success(), "{command:?} failed");
    start.elapsed()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Stats {
    p50: f64,
    p95: f64,
    p99: f64,
    per_second: f64,
}

fn stats(mut ms: Vec<f64>, wall: Duration) -> Stats {
    ms.sort_by(|a, b| a.total_cmp(b));
    Stats {
        p50: percentile(&ms, 0.5),
        p95: percentile(&ms, 0.95),
        p99: percentile(&ms, 0.99),
        per_second: ms.len() as f64 / wall.as_secs_f64(),
    }
}

/// Runs `job` `rounds` times on each of `concurrency` workers; returns latencies and wall time.
async fn load<F, Fut>(concurrency: usize, rounds: usize, job: F) -> (Vec<f64>, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let job = job.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(rounds);
            for i in 0..rounds {
                let t = Instant::now();
                job(w * rounds + i).await;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    (all, start.elapsed())
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        Server::start_with(pepite(), data)
    }

    fn start_with(mut pepite: Command, data: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = pepite
            .arg("--data-dir")
            .arg(data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--admin-token")
            .arg(TOKEN)
            .stdout(Stdio::null())
            .spawn()
            .expect("start pepite serve");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..600 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, url }
    }

    fn peak_rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
            })
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the server has merged its index into one segment (it does so in the background
/// once idle), then until its process is idle (the merge thread ends after the merged segment is
/// searchable): searches are measured in that steady state. Returns how long it took.
async fn wait_for_compaction(client: &reqwest::Client, server: &Server) -> Duration {
    let start = Instant::now();
    let timeout = Duration::from_secs(600);
    loop {
        let health: Value = client.get(format!("{}/health", server.url)).send().await.unwrap().json().await.unwrap();
        if health["index"]["segments"].as_u64() == Some(1) || start.elapsed() > timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Idle: under 5% of a core over two seconds.
    let mut before = cpu_ticks(server.child.id());
    while start.elapsed() < timeout {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = cpu_ticks(server.child.id());
        if now.saturating_sub(before) < 10 {
            break;
        }
        before = now;
    }
    start.elapsed()
}

/// A process's CPU time so far, in clock ticks (a hundredth of a second), from `/proc`; 0 where
/// there is none.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name, which is in parentheses: utime and stime are 14 and 15.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

async fn post(client: &reqwest::Client, url: &str, query: &str, variables: Value, token: Option<&str>) -> Value {
    let mut request = client.post(format!("{url}/graphql")).json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response: Value = request.send().await.expect("request").json().await.expect("json");
    assert!(response.get("errors").is_none(), "{response}");
    response
}

fn variables(text: &str, filter: Option<&str>) -> Value {
    json!({"q": text, "f": filter.map(|f| serde_json::from_str::<Value>(f).unwrap())})
}

/// The search mix over HTTP: without facets and with them at concurrency 1, then with them at
/// concurrency 16.
async fn search_mix(client: &reqwest::Client, url: &str) -> (Stats, Stats, Stats) {
    let mix = |query: &'static str| {
        let (client, url) = (client.clone(), url.to_string());
        move |i: usize| {
            let (c, u) = (client.clone(), url.clone());
            async move {
                let (_, text, filter) = MIX[i % MIX.len()];
                post(&c, &u, query, variables(text, filter), None).await;
            }
        }
    };
    let (lat, wall) = load(1, ROUNDS * MIX.len(), mix(SEARCH_PLAIN)).await;
    let plain = stats(lat, wall);
    let (lat, wall) = load(1, ROUNDS * MIX.len(), mix(SEARCH)).await;
    let c1 = stats(lat, wall);
    let (lat, wall) = load(16, ROUNDS * MIX.len() / 4, mix(SEARCH)).await;
    (plain, c1, stats(lat, wall))
}

/// Creates companies one by one, each searched for by a word of its own as soon as the write
/// returns: the time from the write to the search that finds it.
async fn write_then_find(client: &reqwest::Client, url: &str) -> Stats {
    let mut write_to_search = Vec::new();
    for i in 0..20 {
        let word = format!("benchmarkword{i}x");
        let t = Instant::now();
        let input = json!({"slug": format!("bench-write-{i}"), "name": format!("Bench {i}"), "stage": "SME", "lang": "fr", "description": word});
        let create = "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }";
        post(client, url, create, json!({"i": input}), Some(TOKEN)).await;
        let found = post(client, url, SEARCH, variables(&word, None), None).await;
        write_to_search.push(t.elapsed().as_secs_f64() * 1000.0);
        let first = &found["data"]["search"]["edges"][0]["node"]["slug"];
        assert_eq!(first, &json!(format!("bench-write-{i}")), "a write is searchable once it returns");
    }
    stats(write_to_search, Duration::from_secs(1))
}

/// `company(slug:)` with its technologies, for companies spread over the table, at concurrency 16.
async fn lookups(client: &reqwest::Client, url: &str, n: usize) -> Stats {
    let (client, url) = (client.clone(), url.to_string());
    let (lat, wall) = load(16, 100, move |i| {
        let (c, u) = (client.clone(), url.clone());
        async move {
            let query = "query($s: String!) { company(slug: $s) { name technologies { name } } }";
            post(&c, &u, query, json!({"s": format!("company-{}", (i * 7919) % n)}), None).await;
        }
    })
    .await;
    stats(lat, wall)
}

/// One line of a latency table.
fn row(name: &str, s: &Stats) {
    println!("| {name} | {:.2} | {:.2} | {:.2} | {:.0} |", s.p50, s.p95, s.p99, s.per_second);
}

async fn run(n: usize, postgres: &str) {
    eprintln!("== {n} companies");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-{n}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("data");
    let file = root.join("kb.json");

    let start = Instant::now();
    let output = pepite().args(["generate", "--companies", &n.to_string(), "--seed", "1"]).output().unwrap();
    std::fs::write(&file, &output.stdout).unwrap();
    let generate = start.elapsed();

    let mut import = pepite();
    import.arg("--data-dir").arg(&data).arg("import").arg(&file).stderr(Stdio::null());
    let import = timed(import);
    let mut reindex = pepite();
    reindex.arg("--data-dir").arg(&data).arg("reindex").stderr(Stdio::null());
    let reindex = timed(reindex);

    let server = Server::start(&data);
    let client = reqwest::Client::builder().pool_max_idle_per_host(32).build().unwrap();
    let url = server.url.clone();
    let compacted = wait_for_compaction(&client, &server).await;
    // Warm up: every query once.
    for (_, text, filter) in MIX {
        post(&client, &url, SEARCH, variables(text, *filter), None).await;
    }

    let mut hits = Vec::new();
    let mut per_query = Vec::new();
    for (label, text, filter) in MIX {
        let response = post(&client, &url, SEARCH, variables(text, *filter), None).await;
        hits.push((label, response["data"]["search"]["totalCount"].as_u64().unwrap_or(0)));
        let (c, u) = (client.clone(), url.clone());
        let (lat, wall) = load(1, ROUNDS, move |_| {
            let (c, u) = (c.clone(), u.clone());
            async move {
                post(&c, &u, SEARCH, variables(text, *filter), None).await;
            }
        })
        .await;
        per_query.push((label, stats(lat, wall)));
    }
    let (plain, c1, c16) = search_mix(&client, &url).await;
    let wrk = wrk_search_mix(&root, &url);

    let lookup = lookups(&client, &url, n).await;

    let (c, u) = (client.clone(), url.clone());
    let (lat, wall) = load(1, 200, move |i| {
        let (c, u) = (c.clone(), u.clone());
        async move {
            let prefix = ["photo", "hydro", "eco", "recy", "aqua terra", "sol"][i % 6];
            post(&c, &u, "query($p: String!) { suggest(prefix: $p, first: 10) { name } }", json!({"p": prefix}), None)
                .await;
        }
    })
    .await;
    let suggest = stats(lat, wall);

    // The park's questions for one company at a time: partners and eligible programmes.
    let sample = move |i: usize| format!("company-{}", (i * 7919) % n);
    let partners_query =
        "query($s: String!) { company(slug: $s) { partners(first: 10) { company { name } score reasons } } }";
    let mut suggested = 0;
    for i in 0..20 {
        let answer = post(&client, &url, partners_query, json!({"s": sample(i)}), None).await;
        suggested += answer["data"]["company"]["partners"].as_array().map_or(0, Vec::len);
    }
    assert!(suggested > 0, "the generated companies get partner suggestions");
    let (c, u) = (client.clone(), url.clone());
    let (lat, wall) = load(1, 200, move |i| {
        let (c, u) = (c.clone(), u.clone());
        async move {
            post(&c, &u, partners_query, json!({"s": sample(i)}), None).await;
        }
    })
    .await;
    let partners = stats(lat, wall);
    let mentors_query =
        "query($s: String!) { company(slug: $s) { mentors(first: 10) { person { name } score reasons } } }";
    let mut mentored = 0;
    for i in 0..20 {
        let answer = post(&client, &url, mentors_query, json!({"s": sample(i)}), None).await;
        mentored += answer["data"]["company"]["mentors"].as_array().map_or(0, Vec::len);
    }
    assert!(mentored > 0, "the generated companies get mentor suggestions");
    let (c, u) = (client.clone(), url.clone());
    let (lat, wall) = load(1, 200, move |i| {
        let (c, u) = (c.clone(), u.clone());
        async move {
            post(&c, &u, mentors_query, json!({"s": sample(i)}), None).await;
        }
    })
    .await;
    let mentors = stats(lat, wall);
    let eligibility_query = "query($s: String!) { company(slug: $s) { eligibleProgrammes { programme { name } \
                             eligible criteria { name met detail } } } }";
    let (c, u) = (client.clone(), url.clone());
    let (lat, wall) = load(1, 200, move |i| {
        let (c, u) = (c.clone(), u.clone());
        async move {
            post(&c, &u, eligibility_query, json!({"s": sample(i)}), None).await;
        }
    })
    .await;
    let eligibility = stats(lat, wall);

    let writes = write_then_find(&client, &url).await;
    let rss = server.peak_rss_mib();
    drop(server);
    let db_size = std::fs::metadata(data.join("pepite.db")).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(data.join("pepite.db-wal")).map(|m| m.len()).unwrap_or(0);
    let index_size = dir_size(&data.join("index"));

    // Raw tantivy, in-process, on the same index: the floor under GraphQL and HTTP.
    let settings = Settings::with_data_dir(&data);
    let kb = pepite::startup::open(&settings).await.expect("open the knowledge base");
    let search = kb.index().clone();
    let (lat, wall) = load(1, ROUNDS * MIX.len(), move |i| {
        let search = search.clone();
        async move {
            let (_, text, filter) = MIX[i % MIX.len()];
            let filter = filter.map(|f| serde_json::from_str::<Value>(f).unwrap());
            let request = SearchRequest {
                text: text.into(),
                filter: filter
                    .map(|f| pepite::search::query::SearchFilter {
                        stage: Some(vec![entity::CompanyStage::Sme, entity::CompanyStage::Startup]),
                        city: f["city"].as_array().map(|c| c.iter().map(|v| v.as_str().unwrap().to_string()).collect()),
                        ..Default::default()
                    })
                    .unwrap_or_default(),
                limit: 10,
                ..Default::default()
            };
            search.search(request).await.unwrap();
        }
    })
    .await;
    let raw = stats(lat, wall);

    let fts5 = sqlite_fts5(kb.database()).await;
    drop(kb);
    let pg = postgres_fts(&data, postgres, n).await;

    println!("## {n} companies\n");
    println!("| step | result |\n| --- | --- |");
    println!("| generate the document | {:.1} s ({} MiB) |", generate.as_secs_f64(), output.stdout.len() / (1 << 20));
    println!(
        "| import (check, write, index) | {:.1} s, {:.0} entities/s |",
        import.as_secs_f64(),
        (n + n / 200 + n / 500 + 280) as f64 / import.as_secs_f64()
    );
    println!("| rebuild the index (`pepite reindex`) | {:.1} s |", reindex.as_secs_f64());
    println!(
        "| server start to a compacted, idle index (one segment, merged in the background) | {:.1} s |",
        compacted.as_secs_f64()
    );
    println!("| server peak resident memory | {rss:.0} MiB |");
    println!(
        "| database / index on disk | {:.0} MiB / {:.0} MiB |",
        db_size as f64 / 1048576.0,
        index_size as f64 / 1048576.0
    );
    println!();
    println!("| latency (ms) | p50 | p95 | p99 | req/s |\n| --- | --- | --- | --- | --- |");
    row("search mix without facets, HTTP, concurrency 1", &plain);
    row("search mix with four facets, HTTP, concurrency 1", &c1);
    row("search mix with four facets, HTTP, concurrency 16", &c16);
    row("search mix, raw tantivy in-process", &raw);
    row("`partners(first: 10)` of one company, concurrency 1", &partners);
    row("`mentors(first: 10)` of one company, concurrency 1", &mentors);
    row("`eligibleProgrammes` of one company, concurrency 1", &eligibility);
    row("`company(slug:)` + technologies, concurrency 16", &lookup);
    row("`suggest`, concurrency 1", &suggest);
    row("create then find by search", &writes);
    row("SQLite FTS5 (bm25), concurrency 1", &fts5.c1);
    row("SQLite FTS5 (bm25), concurrency 16", &fts5.c16);
    row("PostgreSQL FTS (GIN, ts_rank), concurrency 1", &pg.c1);
    row("PostgreSQL FTS (GIN, ts_rank), concurrency 16", &pg.c16);
    println!();
    println!(
        "Compiled load generators, concurrency 16, {COMPILED_SECONDS} s each: wrk (2 threads, 16 connections) \
         POSTs the search mix to `/graphql` (10 hits with highlights, `totalCount` and four facets); \
         pgbench (2 threads, 16 clients) runs the mix's SQL on PostgreSQL (10 rows: slug, name, rank).\n"
    );
    println!("| load generator | median (ms) | p99 (ms) | req/s |\n| --- | --- | --- | --- |");
    let compiled = |name: &str, c: &Option<Compiled>, median: &str| match c {
        Some(c) => println!(
            "| {name} | {:.2}{median} | {} | {:.0} |",
            c.p50,
            c.p99.map_or("–".to_string(), |p| format!("{p:.2}")),
            c.per_second
        ),
        None => println!("| {name} | not installed | | |"),
    };
    compiled("wrk → Pépite search mix", &wrk, "");
    compiled("pgbench → PostgreSQL FTS mix", &pg.pgbench, " (average)");
    if let (Some(w), Some(p)) = (&wrk, &pg.pgbench) {
        println!(
            "\nPépite / PostgreSQL FTS throughput with compiled load generators: {:.2}×.",
            w.per_second / p.per_second
        );
    }
    println!();
    println!(
        "Ratios: HTTP+GraphQL / raw tantivy at p50: {:.1}×; Pépite / PostgreSQL throughput at concurrency 16: {:.1}×; Pépite / SQLite FTS5: {:.1}×.\n",
        c1.p50 / raw.p50,
        c16.per_second / pg.c16.per_second,
        c16.per_second / fts5.c16.per_second
    );
    println!(
        "| query | Pépite p50 (ms) | Pépite matches | FTS5 matches | PostgreSQL matches |\n| --- | --- | --- | --- | --- |"
    );
    for (i, (label, s)) in per_query.iter().enumerate() {
        println!("| {label} `{}` | {:.2} | {} | {} | {} |", MIX[i].1, s.p50, hits[i].1, fts5.hits[i], pg.hits[i]);
    }
    println!();
}

/// Pépite on PostgreSQL: the same knowledge base in a database of its own, the index in the
/// data directory.
async fn run_on_postgres(n: usize, postgres: &str) {
    eprintln!("== {n} companies, Pépite on PostgreSQL");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-pg-{n}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let (data, file) = (root.join("data"), root.join("kb.json"));
    let admin = Database::connect(postgres).await.expect("PostgreSQL");
    let name = format!("pepite_bench_served_{n}");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let database = format!("{}/{name}", postgres.rsplit_once('/').unwrap().0);
    let on_postgres = || {
        let mut c = pepite();
        c.arg("--database-url").arg(&database);
        c
    };
    let output = pepite().args(["generate", "--companies", &n.to_string(), "--seed", "1"]).output().unwrap();
    std::fs::write(&file, &output.stdout).unwrap();
    let mut import = on_postgres();
    import.arg("--data-dir").arg(&data).arg("import").arg(&file).stderr(Stdio::null());
    let import = timed(import);
    let mut reindex = on_postgres();
    reindex.arg("--data-dir").arg(&data).arg("reindex").stderr(Stdio::null());
    let reindex = timed(reindex);

    let server = Server::start_with(on_postgres(), &data);
    let client = reqwest::Client::builder().pool_max_idle_per_host(32).build().unwrap();
    let url = server.url.clone();
    let compacted = wait_for_compaction(&client, &server).await;
    for (_, text, filter) in MIX {
        post(&client, &url, SEARCH, variables(text, *filter), None).await;
    }
    let (plain, c1, c16) = search_mix(&client, &url).await;
    let wrk = wrk_search_mix(&root, &url);
    let lookup = lookups(&client, &url, n).await;
    let writes = write_then_find(&client, &url).await;
    let rss = server.peak_rss_mib();
    drop(server);

    println!("## {n} companies, Pépite on PostgreSQL\n");
    println!("| step | result |\n| --- | --- |");
    println!(
        "| import (check, write, index) | {:.1} s, {:.0} entities/s |",
        import.as_secs_f64(),
        (n + n / 200 + n / 500 + 280) as f64 / import.as_secs_f64()
    );
    println!("| rebuild the index (`pepite reindex`) | {:.1} s |", reindex.as_secs_f64());
    println!("| server start to a compacted, idle index | {:.1} s |", compacted.as_secs_f64());
    println!("| server peak resident memory | {rss:.0} MiB |\n");
    println!("| latency (ms) | p50 | p95 | p99 | req/s |\n| --- | --- | --- | --- | --- |");
    row("search mix without facets, HTTP, concurrency 1", &plain);
    row("search mix with four facets, HTTP, concurrency 1", &c1);
    row("search mix with four facets, HTTP, concurrency 16", &c16);
    row("`company(slug:)` + technologies, concurrency 16", &lookup);
    row("create then find by search", &writes);
    if let Some(w) = wrk {
        println!(
            "| wrk → search mix, concurrency 16 | {:.2} | | {} | {:.0} |",
            w.p50,
            w.p99.map_or("–".into(), |p| format!("{p:.2}")),
            w.per_second
        );
    }
    println!();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
}

struct Competitor {
    c1: Stats,
    c16: Stats,
    hits: Vec<u64>,
    /// The same mix at concurrency 16 driven by pgbench (PostgreSQL only).
    pgbench: Option<Compiled>,
}

/// What a compiled load generator (wrk, pgbench) measured at concurrency 16.
struct Compiled {
    per_second: f64,
    /// Median latency (wrk) or average latency (pgbench), in milliseconds.
    p50: f64,
    /// 99th percentile (wrk only).
    p99: Option<f64>,
}

/// How long each compiled load generator runs.
const COMPILED_SECONDS: u32 = 10;

/// The first number in `text` after `label`.
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let number: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    number.parse().ok()
}

/// wrk's latency (`1.23ms`, `456.00us`, `1.02s`) in milliseconds.
fn wrk_latency(text: &str, label: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.trim_start().starts_with(label))?;
    let value = line.split_whitespace().nth(1)?;
    let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        _ => return None,
    })
}

/// The search mix over HTTP at concurrency 16, driven by wrk (2 threads, 16 connections), each
/// request a POST of the next query of the mix; `None` when wrk is not installed.
fn wrk_search_mix(root: &Path, url: &str) -> Option<Compiled> {
    let bodies: Vec<String> = MIX
        .iter()
        .map(|(_, text, filter)| json!({"query": SEARCH, "variables": variables(text, *filter)}).to_string())
        .collect();
    let script = format!(
        "local bodies = {{{}}}\nlocal i = 0\nwrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n\
         request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n\
         done = function(summary, latency, requests)\n  io.write(string.format('errors %d non2xx %d\\n', \
         summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))\nend\n",
        bodies.iter().map(|b| format!("{b:?}")).collect::<Vec<_>>().join(", ")
    );
    let path = root.join("mix.lua");
    std::fs::write(&path, script).unwrap();
    let output = Command::new("wrk")
        .args(["-t2", "-c16", &format!("-d{COMPILED_SECONDS}s"), "--latency", "-s"])
        .arg(&path)
        .arg(format!("{url}/graphql"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("errors 0 non2xx 0"), "wrk saw failed requests:\n{text}");
    Some(Compiled {
        per_second: number_after(&text, "Requests/sec:")?,
        p50: wrk_latency(&text, "50%")?,
        p99: wrk_latency(&text, "99%"),
    })
}

/// The mix at concurrency 16 on PostgreSQL, driven by pgbench (one script per query, equal
/// weights); `None` when pgbench is not installed.
fn pgbench_mix(root: &Path, url: &str, sql: &str) -> Option<Compiled> {
    let mut command = Command::new("pgbench");
    command.args(["-n", "-c16", "-j2", &format!("-T{COMPILED_SECONDS}")]);
    for (i, (_, text, filter)) in MIX.iter().enumerate() {
        let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let statement =
            sql.replace("$1", &literal(text)).replace("$2::int", if filter.is_some() { "1" } else { "NULL::int" });
        let path = root.join(format!("q{i}.sql"));
        std::fs::write(&path, format!("{statement};\n")).unwrap();
        command.arg("-f").arg(path);
    }
    let output = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pgbench failed:\n{text}\n{}", String::from_utf8_lossy(&output.stderr));
    Some(Compiled {
        per_second: number_after(&text, "tps =")?,
        p50: number_after(&text, "latency average =")?,
        p99: None,
    })
}

/// FTS5 words: folded by `remove_diacritics`, any word may match (like Pépite), last one as a prefix.
fn fts5_query(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', ""))).collect();
    let mut q = words.join(" OR ");
    if !q.is_empty() {
        q.push('*');
    }
    q
}

async fn sqlite_fts5(db: &DatabaseConnection) -> Competitor {
    eprintln!("   SQLite FTS5: building");
    db.execute_unprepared("DROP TABLE IF EXISTS bench_fts").await.unwrap();
    db.execute_unprepared(
        "CREATE VIRTUAL TABLE bench_fts USING fts5(name, description, tokenize = 'unicode61 remove_diacritics 2')",
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO bench_fts(rowid, name, description) SELECT id, name, coalesce(description, '') FROM company",
    )
    .await
    .unwrap();
    let sql = "SELECT c.slug, c.name FROM bench_fts JOIN company c ON c.id = bench_fts.rowid WHERE bench_fts MATCH ? AND (? IS NULL OR c.stage IN ('SME', 'STARTUP')) ORDER BY bm25(bench_fts, 3.0, 1.0) LIMIT 10";
    let count = "SELECT count(*) AS n FROM bench_fts WHERE bench_fts MATCH ?";
    measure(db.clone(), sql, count, fts5_query).await
}

async fn postgres_fts(data: &Path, url: &str, n: usize) -> Competitor {
    eprintln!("   PostgreSQL FTS: loading");
    let admin = Database::connect(url).await.expect("PostgreSQL for the comparison");
    let name = format!("pepite_bench_{n}");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    let pg = Database::connect(format!("{prefix}/{name}")).await.unwrap();
    pg.execute_unprepared("CREATE EXTENSION IF NOT EXISTS unaccent").await.unwrap();
    pg.execute_unprepared("CREATE TABLE company (id int PRIMARY KEY, slug text, name text, description text, stage text, city text, tsv tsvector)")
        .await
        .unwrap();
    let sqlite = Database::connect(format!("sqlite://{}?mode=ro", data.join("pepite.db").display())).await.unwrap();
    let mut after = 0;
    loop {
        let rows = sqlite
            .query_all_raw(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT id, slug, name, coalesce(description, '') AS description, stage, coalesce(city, '') AS city FROM company WHERE id > ? ORDER BY id LIMIT 2000",
                [after.into()],
            ))
            .await
            .unwrap();
        let Some(last) = rows.last() else { break };
        after = last.try_get::<i32>("", "id").unwrap();
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let mut placeholders = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let b = i * 6;
            placeholders.push(format!("(${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6));
            values.push(row.try_get::<i32>("", "id").unwrap().into());
            for col in ["slug", "name", "description", "stage", "city"] {
                values.push(row.try_get::<String>("", col).unwrap().into());
            }
        }
        let insert = format!(
            "INSERT INTO company (id, slug, name, description, stage, city) VALUES {}",
            placeholders.join(", ")
        );
        pg.execute_raw(Statement::from_sql_and_values(sea_orm::DatabaseBackend::Postgres, insert, values))
            .await
            .unwrap();
    }
    pg.execute_unprepared(
        "UPDATE company SET tsv = setweight(to_tsvector('french', unaccent(name)), 'A') || setweight(to_tsvector('french', unaccent(description)), 'B')",
    )
    .await
    .unwrap();
    pg.execute_unprepared("CREATE INDEX company_tsv ON company USING gin (tsv)").await.unwrap();
    pg.execute_unprepared("ANALYZE company").await.unwrap();

    let sql = "SELECT slug, name, ts_rank(tsv, q) AS rank FROM company, websearch_to_tsquery('french', unaccent($1)) q WHERE tsv @@ q AND ($2::int IS NULL OR stage IN ('SME', 'STARTUP')) ORDER BY rank DESC LIMIT 10";
    let count = "SELECT count(*) AS n FROM company, websearch_to_tsquery('french', unaccent($1)) q WHERE tsv @@ q";
    let mut competitor = measure(pg.clone(), sql, count, |text| text.to_string()).await;
    competitor.pgbench = pgbench_mix(data.parent().unwrap(), &format!("{prefix}/{name}"), sql);
    drop(pg);
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
    competitor
}

/// Runs the query mix through `sql` (bound to the translated text and the filter flag), at
/// concurrency 1 and 16, and counts each query's matches with `count`.
async fn measure(db: DatabaseConnection, sql: &'static str, count: &str, translate: fn(&str) -> String) -> Competitor {
    let backend = db.get_database_backend();
    let mut hits = Vec::new();
    for (_, text, _) in MIX {
        let statement = Statement::from_sql_and_values(backend, count, [translate(text).into()]);
        let row = db.query_one_raw(statement).await.unwrap().unwrap();
        hits.push(row.try_get::<i64>("", "n").unwrap() as u64);
    }
    let job = |db: DatabaseConnection| {
        move |i: usize| {
            let db = db.clone();
            async move {
                let (_, text, filter) = MIX[i % MIX.len()];
                let values: [sea_orm::Value; 2] = [translate(text).into(), filter.map(|_| 1).into()];
                db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
            }
        }
    };
    let (lat, wall) = load(1, ROUNDS * MIX.len(), job(db.clone())).await;
    let c1 = stats(lat, wall);
    let (lat, wall) = load(16, ROUNDS * MIX.len() / 4, job(db)).await;
    let c16 = stats(lat, wall);
    Competitor { c1, c16, hits, pgbench: None }
}
