//! Slow and idle clients are let go: the header, body and idle time limits and the connection
//! caps, through real TCP connections to a `pepite serve` process.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{ServerProcess, test_settings};

/// The server's `host:port`.
fn socket_address(server: &ServerProcess) -> SocketAddr {
    server.address.trim_start_matches("http://").parse().expect("a socket address")
}

/// The file descriptors the server process holds open.
fn open_descriptors(server: &ServerProcess) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.child.id())).expect("/proc/PID/fd").count()
}

/// Waits until the server closes the connection (a read gives end of file or an error).
async fn closed(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// A whole request from another client address (127.0.0.2), answered; returns the status line.
async fn served_from_another_address(address: SocketAddr) -> String {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.2:0".parse().unwrap()).expect("bind 127.0.0.2");
    let mut stream = socket.connect(address).await.expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: pepite\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("an answer");
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn thousands_of_half_sent_requests_from_one_address_are_dropped_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let flags = ["--header-timeout", "10s", "--max-connections-per-address", "500"];
    let server = ServerProcess::start(&settings, &flags, 3 * 1024);
    let address = socket_address(&server);
    assert!(served_from_another_address(address).await.starts_with("HTTP/1.1 200"));
    let before = open_descriptors(&server);

    // All at once, as a flood comes: each connects, sends half a request (its line and one
    // header, and then nothing) and waits for the server to close it.
    let mut waiting = tokio::task::JoinSet::new();
    for _ in 0..2_000 {
        waiting.spawn(async move {
            let mut stream = TcpStream::connect(address).await.ok()?;
            let started = Instant::now();
            stream.write_all(b"POST /graphql HTTP/1.1\r\nHost: pepite\r\n").await.ok()?;
            closed(stream).await;
            Some(started.elapsed())
        });
    }
    // The most descriptors held while the server accepts them (slower on a loaded machine),
    // before the first header times run out.
    let mut held = open_descriptors(&server);
    let accepting = Instant::now();
    while held < before + 500 && accepting.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        held = held.max(open_descriptors(&server));
    }
    let served_at = Instant::now();
    let status = served_from_another_address(address).await;
    let serving_took = served_at.elapsed();

    let mut closed_after = Vec::new();
    let all_closed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(took) = waiting.join_next().await {
            closed_after.extend(took.unwrap());
        }
    });
    all_closed.await.expect("every half-sent request's connection is closed within 30 s");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = open_descriptors(&server);

    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(serving_took < Duration::from_secs(2), "another client waited {serving_took:?}");
    assert!(held >= before + 450, "the server held {held} descriptors, {before} before: the first 500 are kept");
    assert!(held <= before + 520, "the server held {held} descriptors, {before} before: at most 500 from one address");
    let at_once = closed_after.iter().filter(|took| **took < Duration::from_secs(2)).count();
    let timed_out = closed_after.iter().filter(|took| **took >= Duration::from_secs(8)).count();
    let mut sorted = closed_after.clone();
    sorted.sort();
    let quantiles: Vec<_> =
        [0.1, 0.25, 0.5, 0.75, 0.9].iter().map(|q| sorted[(q * sorted.len() as f64) as usize]).collect();
    assert!(at_once >= 1_400, "{at_once} connections past the cap were closed at once: {quantiles:?}");
    assert!(timed_out >= 450, "{timed_out} connections were held until their header time ran out");
    assert!(closed_after.iter().all(|took| *took < Duration::from_secs(17)), "{:?}", closed_after.iter().max());
    assert!(after <= before + 10, "the server holds {after} descriptors, {before} before the flood");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_slow_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let flags = ["--idle-timeout", "2s", "--body-timeout", "2s"];
    let server = ServerProcess::start(&settings, &flags, 3 * 1024);
    let address = socket_address(&server);

    let mut idle = TcpStream::connect(address).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: pepite\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    let answered = Instant::now();
    tokio::time::timeout(Duration::from_secs(8), closed(idle)).await.expect("the idle connection is closed");
    assert!(
        answered.elapsed() >= Duration::from_secs(2),
        "closed after {:?}, before its idle time",
        answered.elapsed()
    );

    let mut slow = TcpStream::connect(address).await.unwrap();
    let head =
        "POST /graphql HTTP/1.1\r\nHost: pepite\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(br#"{"query":"#).await.unwrap();
    let sent = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(8), async {
        let n = slow.read(&mut buf).await.unwrap();
        answer.extend_from_slice(&buf[..n]);
    });
    read.await.expect("a slow body is answered within 8 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive within 2s"), "{answer}");
    assert!(sent.elapsed() >= Duration::from_secs(2), "answered after {:?}", sent.elapsed());
}
