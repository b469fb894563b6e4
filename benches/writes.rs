//! Pépite's write benchmark: how many writes a second a server takes, and what they cost the
//! searches served beside them.
//!
//! Run: `cargo bench --bench writes -- [--companies 10000] [--seconds 10] [--rate 150] [--postgres URL] [--backend sqlite|postgres|both] [--binary PATH]`
//! (`--binary` runs another build of `pepite`, e.g. an earlier commit's, with the same load).
//!
//! - **Concurrent writers**: 1, 8 and 32 clients each creating companies back to back for
//!   `--seconds`; each created company is then searched for by a word of its own on the same
//!   server (read-your-writes: a miss is counted and reported), outside the write's latency.
//! - **Open-loop mix**: `--rate` requests a second, whatever the answers' speed, for twice
//!   `--seconds`: 5% creates, 5% updates, 5% deletes, 70% searches and 15% lookups by slug; on one
//!   server, and (on PostgreSQL) spread over three replicas of one database, where a third of the
//!   creates are looked for on another replica until found: the replicas' lag.
//!
//! It prints a Markdown report on standard output; progress goes to standard error.

#![allow(clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "bench-token";
const CREATE: &str = "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id slug } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateCompanyInput!) { updateCompany(id: $id, input: $i) { id } }";
const DELETE: &str = "mutation($id: ID!) { deleteCompany(id: $id) }";
const FIND: &str = "query($q: String!) { search(query: $q, kinds: [COMPANY], first: 1) { edges { node { slug } } } }";
const SEARCH: &str = "query($q: String!) { search(query: $q, first: 10) {
    totalCount edges { score highlights { field snippet } node { __typename slug name } } } }";
const LOOKUP: &str = "query($s: String!) { company(slug: $s) { name technologies { name } } }";
const WORDS: &[&str] =
    &["carburants", "recyclage batteries électriques", "combustoin", "photovolt", "heat pumps", "fuel analysis"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let companies: usize = arg("--companies").map_or(10_000, |n| n.parse().expect("--companies takes a number"));
    let seconds: u64 = arg("--seconds").map_or(10, |n| n.parse().expect("--seconds takes a number"));
    let rate: u64 = arg("--rate").map_or(150, |n| n.parse().expect("--rate takes a number"));
    let postgres = arg("--postgres").unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    let backend = arg("--backend").unwrap_or_else(|| "both".into());
    if let Some(binary) = arg("--binary") {
        BINARY.set(PathBuf::from(binary)).expect("set once");
    }
    let plan = Plan { companies, duration: Duration::from_secs(seconds), rate };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("# Pépite write benchmark\n");
    println!(
        "- command: `cargo bench --bench writes -- --companies {companies} --seconds {seconds} --rate {rate} --backend {backend}`"
    );
    println!("- binary: {}", pepite().get_program().to_string_lossy());
    println!(
        "- machine: {} cores; latencies in milliseconds\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-writes");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let document = root.join("kb.json");
    let generated = pepite().args(["generate", "--companies", &companies.to_string(), "--seed", "1"]).output().unwrap();
    std::fs::write(&document, generated.stdout).unwrap();
    if backend != "postgres" {
        runtime.block_on(on_sqlite(&plan, &root, &document));
    }
    if backend != "sqlite" {
        runtime.block_on(on_postgres(&plan, &root, &document, &postgres));
    }
}

struct Plan {
    companies: usize,
    duration: Duration,
    rate: u64,
}

async fn on_sqlite(plan: &Plan, root: &Path, document: &Path) {
    eprintln!("== SQLite, {} companies", plan.companies);
    let data = root.join("sqlite");
    import(pepite().arg("--data-dir").arg(&data), document);
    let server = Server::start(pepite(), &data, "local");
    println!("## One server on SQLite, {} companies\n", plan.companies);
    writers_table(plan, &server).await;
    let outcome = open_loop(plan, std::slice::from_ref(&server)).await;
    outcome.print(plan, "one server");
}

async fn on_postgres(plan: &Plan, root: &Path, document: &Path, postgres: &str) {
    eprintln!("== PostgreSQL, {} companies", plan.companies);
    let name = format!("pepite_bench_writes_{}", std::process::id());
    let admin = sea_orm::Database::connect(postgres).await.expect("connect to PostgreSQL");
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = match postgres.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("--postgres takes a URL ending in a database name"),
    };
    let on = || {
        let mut command = pepite();
        command.arg("--database-url").arg(&url);
        command
    };
    import(on().arg("--data-dir").arg(root.join("pg-0")), document);
    {
        let server = Server::start(on(), &root.join("pg-0"), "pg-0");
        println!("## One server on PostgreSQL, {} companies\n", plan.companies);
        writers_table(plan, &server).await;
        let outcome = open_loop(plan, std::slice::from_ref(&server)).await;
        outcome.print(plan, "one server");
    }
    let replicas: Vec<Server> = (0..3)
        .map(|i| {
            let data = root.join(format!("pg-{i}"));
            Server::start(on(), &data, &format!("pg-{i}"))
        })
        .collect();
    println!("## Three replicas on one PostgreSQL database, {} companies\n", plan.companies);
    let outcome = open_loop(plan, &replicas).await;
    outcome.print(plan, "three replicas");
    drop(replicas);
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
}

/// The `pepite` binary measured: this build's, unless `--binary` names another.
static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn pepite() -> Command {
    let mut command = Command::new(BINARY.get_or_init(|| PathBuf::from(env!("CARGO_BIN_EXE_pepite"))));
    command.env_remove("PEPITE_DATABASE_URL").env_remove("PEPITE_DATA_DIR").arg("--log").arg("warn");
    command
}

fn import(command: &mut Command, document: &Path) {
    let status = command.arg("import").arg(document).stderr(Stdio::null()).status().expect("run pepite import");
    assert!(status.success(), "the import failed");
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(mut command: Command, data: &Path, replica: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = command
            .arg("--data-dir")
            .arg(data)
            .arg("--replica")
            .arg(replica)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--admin-token")
            .arg(TOKEN)
            .stdout(Stdio::null())
            .spawn()
            .expect("start pepite serve");
        let server = Server { child, url: format!("http://127.0.0.1:{port}/graphql") };
        for _ in 0..600 {
            if is_ready(&format!("127.0.0.1:{port}")) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("pepite serve did not become ready");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `GET /ready` at `address` answers 200: a probe without an async runtime.
fn is_ready(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return false };
    let request = format!("GET /ready HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap()
}

/// What one request got back.
enum Answer {
    Ok(Value),
    /// Refused or failed, with the error code.
    Failed(String),
}

async fn post(client: &reqwest::Client, url: &str, query: &str, variables: Value) -> Answer {
    let sent = client.post(url).bearer_auth(TOKEN).json(&json!({"query": query, "variables": variables})).send();
    let body: Value = match sent.await {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(err) => return Answer::Failed(format!("transport: {err}")),
    };
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => Answer::Failed(code.to_string()),
        None if body["data"].is_null() => Answer::Failed("no data".into()),
        None => Answer::Ok(body["data"].clone()),
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// A company of its own, findable by one word no other company holds.
fn new_company(tag: &str) -> (String, Value) {
    let word = format!("zqmarker{tag}");
    let input = json!({"slug": format!("bench-{tag}"), "name": format!("Bench {tag}"), "stage": "SME", "lang": "fr",
        "description": format!("Entreprise créée par le banc d'essai des écritures, repérable par {word}.")});
    (word, input)
}

async fn writers_table(plan: &Plan, server: &Server) {
    println!("| concurrent writers | writes | writes/s | write p50 | write p99 | not searchable on return | errors |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for writers in [1, 8, 32] {
        eprintln!("   {writers} writers");
        let until = Instant::now() + plan.duration;
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (client, url) = (client(), server.url.clone());
                tokio::spawn(async move {
                    let (mut latencies, mut missed, mut errors) = (Vec::new(), 0, 0);
                    for i in 0.. {
                        if Instant::now() >= until {
                            break;
                        }
                        let (word, input) = new_company(&format!("w{writers}x{w}x{i}"));
                        let sent = Instant::now();
                        let Answer::Ok(created) = post(&client, &url, CREATE, json!({"i": input})).await else {
                            errors += 1;
                            continue;
                        };
                        latencies.push(ms(sent));
                        let found = post(&client, &url, FIND, json!({"q": word})).await;
                        let slug = &created["createCompany"]["slug"];
                        if !matches!(found, Answer::Ok(ref data) if &data["search"]["edges"][0]["node"]["slug"] == slug)
                        {
                            missed += 1;
                        }
                    }
                    (latencies, missed, errors)
                })
            })
            .collect();
        let (mut latencies, mut missed, mut errors) = (Vec::new(), 0, 0);
        for task in tasks {
            let (l, m, e) = task.await.unwrap();
            latencies.extend(l);
            missed += m;
            errors += e;
        }
        let wall = started.elapsed().as_secs_f64();
        let n = latencies.len();
        println!(
            "| {writers} | {n} | {:.0} | {:.1} | {:.1} | {missed} | {errors} |",
            n as f64 / wall,
            percentile(&mut latencies, 0.5),
            percentile(&mut latencies, 0.99)
        );
        assert_eq!(missed, 0, "every write is searchable on its replica when it returns");
    }
    println!();
}

/// What an open-loop run measured.
#[derive(Default)]
struct Outcome {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    refused: BTreeMap<String, usize>,
    lags: Vec<f64>,
    lost: usize,
    sent: usize,
}

impl Outcome {
    fn print(mut self, plan: &Plan, label: &str) {
        println!(
            "Open loop ({label}): {} requests/s for {} s, {} sent.\n",
            plan.rate,
            plan.duration.as_secs() * 2,
            self.sent
        );
        println!("| requests | answered | p50 | p99 |");
        println!("| --- | ---: | ---: | ---: |");
        for (class, latencies) in &mut self.latencies {
            let n = latencies.len();
            println!("| {class} | {n} | {:.1} | {:.1} |", percentile(latencies, 0.5), percentile(latencies, 0.99));
        }
        if !self.lags.is_empty() {
            let n = self.lags.len();
            println!(
                "| another replica's lag (create to searchable there) | {n} | {:.1} | {:.1} |",
                percentile(&mut self.lags, 0.5),
                percentile(&mut self.lags, 0.99)
            );
        }
        let refused: Vec<String> = self.refused.iter().map(|(code, n)| format!("{n} {code}")).collect();
        println!(
            "\nFailed or refused: {}; creates never seen on another replica within 5 s: {}.\n",
            if refused.is_empty() { "none".to_string() } else { refused.join(", ") },
            self.lost
        );
    }
}

/// Sends `plan.rate` requests a second to `servers` in turn, for twice `plan.duration`.
async fn open_loop(plan: &Plan, servers: &[Server]) -> Outcome {
    eprintln!("   open loop over {} server(s)", servers.len());
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.url.clone()).collect());
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    // Updates change the newest company created, deletes remove the oldest.
    let created: Arc<Mutex<std::collections::VecDeque<(String, String)>>> = Arc::default();
    let companies = plan.companies;
    let counter = Arc::new(AtomicUsize::new(0));
    let total = (plan.rate * plan.duration.as_secs() * 2) as usize;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / plan.rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for _ in 0..total {
        tick.tick().await;
        let i = counter.fetch_add(1, Ordering::Relaxed);
        let (urls, outcome, created) = (urls.clone(), outcome.clone(), created.clone());
        let client = client();
        tasks.push(tokio::spawn(async move {
            let url = &urls[i % urls.len()];
            let sent = Instant::now();
            let (class, answer) = match i % 20 {
                0 => {
                    let (word, input) = new_company(&format!("o{}x{i}", urls.len()));
                    let answer = post(&client, url, CREATE, json!({"i": input})).await;
                    if let Answer::Ok(data) = &answer {
                        let id = data["createCompany"]["id"].as_str().unwrap_or_default().to_string();
                        created.lock().unwrap().push_back((id, word.clone()));
                        if urls.len() > 1 && i.is_multiple_of(60) {
                            let other = urls[(i + 1) % urls.len()].clone();
                            let slug = data["createCompany"]["slug"].clone();
                            let lag = lag(&client, &other, &word, &slug, Instant::now()).await;
                            let mut outcome = outcome.lock().unwrap();
                            match lag {
                                Some(lag) => outcome.lags.push(lag),
                                None => outcome.lost += 1,
                            }
                        }
                    }
                    ("create", answer)
                }
                1 => {
                    let target = created.lock().unwrap().back().cloned();
                    let Some((id, _)) = target else { return };
                    let input = json!({"description": format!("Description revue {i}.")});
                    ("update", post(&client, url, UPDATE, json!({"id": id, "i": input})).await)
                }
                2 => {
                    // Kept out of the updates' way: the ten newest stay.
                    let target = {
                        let mut created = created.lock().unwrap();
                        if created.len() > 10 { created.pop_front() } else { None }
                    };
                    let Some((id, _)) = target else { return };
                    ("delete", post(&client, url, DELETE, json!({"id": id})).await)
                }
                3..=16 => ("search", post(&client, url, SEARCH, json!({"q": WORDS[i % WORDS.len()]})).await),
                _ => {
                    let slug = format!("company-{}", (i * 7919) % companies);
                    ("lookup by slug", post(&client, url, LOOKUP, json!({"s": slug})).await)
                }
            };
            let took = ms(sent);
            let mut outcome = outcome.lock().unwrap();
            match answer {
                Answer::Ok(_) => outcome.latencies.entry(class).or_default().push(took),
                Answer::Failed(code) => *outcome.refused.entry(format!("{class} {code}")).or_default() += 1,
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut outcome = std::mem::take(&mut *outcome.lock().unwrap());
    outcome.sent = total;
    outcome
}

/// How long after `since` another replica finds the company holding `word`, polled every 10 ms
/// for at most 5 s.
async fn lag(client: &reqwest::Client, url: &str, word: &str, slug: &Value, since: Instant) -> Option<f64> {
    while since.elapsed() < Duration::from_secs(5) {
        if let Answer::Ok(data) = post(client, url, FIND, json!({"q": word})).await
            && &data["search"]["edges"][0]["node"]["slug"] == slug
        {
            return Some(ms(since));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}
