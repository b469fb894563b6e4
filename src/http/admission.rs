//! Who gets to run a GraphQL request now: a bound on executions in flight with a short queue
//! (past it, `OVERLOADED`), and an optional per-client rate limit (`RATE_LIMITED`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

/// Most clients the rate limiter tracks one by one; past that (an attacker with many addresses
/// must not make it grow without bound) requests share one allowance until idle clients are
/// forgotten.
const MAX_CLIENTS: usize = 100_000;
/// The allowance shared past [`MAX_CLIENTS`].
const OVERFLOW: &str = "(too many clients)";

/// Why a request was not let in.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Too much work in flight and waiting: try again after this long.
    Overloaded(Duration),
    /// This client sent too many requests: try again after this long.
    RateLimited(Duration),
}

/// The gate every GraphQL execution passes.
pub struct Admission {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
    queue_timeout: Duration,
    rate: Option<DefaultKeyedRateLimiter<String>>,
    max_clients: usize,
    trusted_proxies: Vec<IpNet>,
}

/// A slot in flight; the next waiting request takes it when this is dropped.
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

impl Admission {
    pub fn new(limits: &Limits) -> Admission {
        Admission {
            slots: Arc::new(Semaphore::new(limits.in_flight())),
            waiting: AtomicUsize::new(0),
            max_queue: limits.max_queue,
            queue_timeout: limits.queue_timeout,
            rate: limits.rate_limit.map(|n: NonZeroU32| DefaultKeyedRateLimiter::dashmap(Quota::per_minute(n))),
            max_clients: MAX_CLIENTS,
            trusted_proxies: limits.trusted_proxies.clone(),
        }
    }

    /// Checks `client` against the rate limit, then waits for a slot within the queue's bounds.
    pub async fn enter(&self, client: &str) -> Result<Slot, Refusal> {
        if let Some(rate) = &self.rate
            && let Err(not_until) =
                rate.check_key(&(if rate.len() < self.max_clients { client } else { OVERFLOW }).to_string())
        {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(Refusal::RateLimited(wait.max(Duration::from_secs(1))));
        }
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot(permit));
        }
        let overloaded = Refusal::Overloaded(Duration::from_secs(1));
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(overloaded);
        }
        let acquired = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match acquired {
            Ok(Ok(permit)) => Ok(Slot(permit)),
            _ => Err(overloaded),
        }
    }

    /// Forgets clients that are back to a full allowance; run now and then.
    pub fn forget_idle_clients(&self) {
        if let Some(rate) = &self.rate {
            rate.retain_recent();
            rate.shrink_to_fit();
            if rate.len() >= self.max_clients {
                tracing::warn!(
                    clients = rate.len(),
                    "rate limiter tracks too many clients; new ones share one allowance"
                );
            }
        }
    }

    /// The address a request comes from: the peer, or, when the peer is a trusted proxy, the
    /// last address in `X-Forwarded-For` that is not one.
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        let peer = peer?;
        if !trusted(&peer) {
            return Some(peer);
        }
        let hops = forwarded_for.unwrap_or_default().split(',').rev().map(str::trim);
        let mut client = peer;
        for hop in hops {
            match hop.parse::<IpAddr>() {
                Ok(ip) if trusted(&ip) => client = ip,
                Ok(ip) => return Some(ip),
                Err(_) => break,
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(in_flight: usize, queue: usize, rate: Option<u32>) -> Admission {
        let limits = Limits {
            max_in_flight: Some(in_flight),
            max_queue: queue,
            queue_timeout: Duration::from_millis(50),
            rate_limit: rate.and_then(NonZeroU32::new),
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Limits::default()
        };
        Admission::new(&limits)
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_and_a_freed_slot_is_taken() {
        let gate = Arc::new(admission(1, 1, None));
        let held = gate.enter("a").await.expect("a free slot");
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter("b").await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(gate.enter("c").await.err(), Some(Refusal::Overloaded(Duration::from_secs(1))), "queue full");
        drop(held);
        assert!(waiter.await.unwrap(), "the waiting request gets the freed slot");
        let _held = gate.enter("d").await.expect("free again");
        assert!(matches!(gate.enter("e").await, Err(Refusal::Overloaded(_))), "waited past the queue timeout");
    }

    #[tokio::test]
    async fn each_client_has_its_own_allowance() {
        let gate = admission(8, 8, Some(2));
        assert!(gate.enter("a").await.is_ok() && gate.enter("a").await.is_ok());
        assert!(matches!(gate.enter("a").await, Err(Refusal::RateLimited(wait)) if wait >= Duration::from_secs(1)));
        assert!(gate.enter("b").await.is_ok());
    }

    #[tokio::test]
    async fn past_the_most_clients_tracked_new_ones_share_one_allowance() {
        let mut gate = admission(8, 8, Some(2));
        gate.max_clients = 2;
        assert!(gate.enter("a").await.is_ok() && gate.enter("b").await.is_ok());
        // "c" and "d" are not tracked apart: together they get one allowance of 2.
        assert!(gate.enter("c").await.is_ok() && gate.enter("d").await.is_ok());
        assert!(matches!(gate.enter("c").await, Err(Refusal::RateLimited(_))));
        assert_eq!(gate.rate.as_ref().unwrap().len(), 3, "a, b and the shared allowance");
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let gate = admission(1, 1, None);
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(gate.client_address(ip("192.0.2.1"), Some("198.51.100.7")), ip("192.0.2.1"));
        assert_eq!(gate.client_address(ip("10.1.2.3"), Some("198.51.100.7, 10.9.9.9")), ip("198.51.100.7"));
        assert_eq!(gate.client_address(ip("10.1.2.3"), None), ip("10.1.2.3"));
    }
}
