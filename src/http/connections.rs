//! Connections held within bounds: how many are open (in all and per client address), how long a
//! client may take to send a request's headers, and how long a keep-alive connection may idle.
//!
//! poem's server gives hyper no timer, so hyper's own `header_read_timeout` never fires; the
//! bounds are kept here instead, by an acceptor wrapping poem's and the stream it hands out.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::config::Limits;

/// The bounds every connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionRules {
    /// Connections open at once in this process.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_per_address: usize,
    /// How long a client may take to send a request's line and headers (and its first request's
    /// first byte after connecting).
    pub header_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
}

impl ConnectionRules {
    pub fn from_limits(limits: &Limits) -> ConnectionRules {
        ConnectionRules {
            max_connections: limits.max_connections,
            max_per_address: limits.max_connections_per_address,
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }
}

/// Open connections, in all and by client address.
#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<Option<IpAddr>, usize>,
}

/// An acceptor that closes at once the connections past the caps, and holds the others to the
/// header and idle time limits.
pub struct Guarded<A> {
    inner: A,
    rules: ConnectionRules,
    open: Arc<Mutex<Open>>,
}

impl<A: Acceptor> Guarded<A> {
    pub fn new(inner: A, rules: ConnectionRules) -> Guarded<A> {
        Guarded { inner, rules, open: Arc::default() }
    }

    /// A slot for a connection from `address`, or `None` when a cap is reached.
    fn admit(&self, address: Option<IpAddr>) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let from_address = open.by_address.get(&address).copied().unwrap_or(0);
        if open.total >= self.rules.max_connections || from_address >= self.rules.max_per_address {
            return None;
        }
        open.total += 1;
        open.by_address.insert(address, from_address + 1);
        Some(Slot { open: self.open.clone(), address })
    }
}

impl<A: Acceptor> Acceptor for Guarded<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        loop {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let address = remote.as_socket_addr().map(|address| address.ip());
            match self.admit(address) {
                Some(slot) => return Ok((GuardedIo::new(io, slot, self.rules), local, remote, scheme)),
                None => {
                    tracing::debug!(remote_addr = %remote, "connection refused: too many open connections");
                    drop(io);
                }
            }
        }
    }
}

/// One open connection's place in the count, given back when the connection closes.
struct Slot {
    open: Arc<Mutex<Open>>,
    address: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// Where a connection stands, as seen from the bytes it reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's first byte: within the idle time (the header time for the first).
    Awaiting,
    /// Reading a request's line and headers: within the header time from its first byte.
    Head,
    /// Reading a body or serving a request: bounded by the body time limit and the request deadline.
    Serving,
    /// HTTP/2: any byte read or written keeps the connection alive for the idle time.
    Multiplexed,
    /// Upgraded to a WebSocket, which keeps its own rules.
    Upgraded,
}

/// A connection's stream, closed (its reads fail) when a time limit passes.
pub struct GuardedIo<T> {
    inner: T,
    _slot: Slot,
    rules: ConnectionRules,
    phase: Phase,
    first: bool,
    newlines: u8,
    deadline: Pin<Box<Sleep>>,
}

impl<T> GuardedIo<T> {
    fn new(inner: T, slot: Slot, rules: ConnectionRules) -> GuardedIo<T> {
        let deadline = Box::pin(tokio::time::sleep(rules.header_timeout));
        GuardedIo { inner, _slot: slot, rules, phase: Phase::Awaiting, first: true, newlines: 0, deadline }
    }

    fn arm(&mut self, after: Duration) {
        self.deadline.as_mut().reset(Instant::now() + after);
    }

    /// Follows the request's head through the bytes just read.
    fn read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.first {
            self.first = false;
            if bytes.starts_with(b"PRI ") {
                self.phase = Phase::Multiplexed;
            }
        }
        match self.phase {
            Phase::Multiplexed => self.arm(self.rules.idle_timeout),
            Phase::Awaiting => {
                self.phase = Phase::Head;
                self.newlines = 0;
                self.arm(self.rules.header_timeout);
                self.scan(bytes);
            }
            Phase::Head => self.scan(bytes),
            Phase::Serving | Phase::Upgraded => {}
        }
    }

    /// Looks for the empty line that ends the head (lines end in CRLF or a bare LF).
    fn scan(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\n' => {
                    self.newlines += 1;
                    if self.newlines >= 2 {
                        self.phase = Phase::Serving;
                        return;
                    }
                }
                b'\r' => {}
                _ => self.newlines = 0,
            }
        }
    }

    /// Follows the answers: a response's start ends the request (a 101 upgrades the connection).
    fn wrote(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Head | Phase::Serving if bytes.starts_with(b"HTTP/1.") => {
                let status = bytes.get(9..12).unwrap_or_default();
                if status == b"101" {
                    self.phase = Phase::Upgraded;
                } else if !status.starts_with(b"1") {
                    self.phase = Phase::Awaiting;
                    self.arm(self.rules.idle_timeout);
                }
            }
            Phase::Awaiting | Phase::Multiplexed => self.arm(self.rules.idle_timeout),
            _ => {}
        }
    }

    fn timed(&self) -> bool {
        matches!(self.phase, Phase::Awaiting | Phase::Head | Phase::Multiplexed)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.timed() && this.deadline.as_mut().poll(cx).is_ready() {
            let what = if this.phase == Phase::Head { "its request's headers" } else { "a request" };
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client took too long to send {what}"),
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.wrote(buf);
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(first) = bufs.iter().find(|buf| !buf.is_empty()) {
            this.wrote(first);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A request body that must arrive whole within a time limit; past it, reading fails.
pub struct TimedBody<R> {
    inner: R,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<R> TimedBody<R> {
    pub fn new(inner: R, limit: Duration) -> TimedBody<R> {
        TimedBody { inner, limit, deadline: Box::pin(tokio::time::sleep(limit)) }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for TimedBody<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            let message = format!("the request body did not arrive within {}", humantime::format_duration(this.limit));
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, message)));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}
