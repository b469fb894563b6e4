//! Live changes: the change log, as this replica has applied it, streamed to subscribers.
//!
//! A subscription reads the log from the database after its position each time this replica's
//! index commits, a page at a time and only as fast as the client takes events: nothing is
//! buffered for a slow subscriber, which ends with an error once retention has pruned what it
//! has not received yet.

use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::context::kb;
use super::enums::{self, ChangeOperation};
use super::loaders::{self, RequestLoader};
use super::mirror::{IntoDomain, IntoGraphql};
use super::node::load_entity;
use super::nodes::Entity;
use super::relay::global_id;
use crate::changelog::{self, Operation};
use crate::error::AppError;
use crate::kb::Kb;
use entity::EntityKind;

/// Log entries read per query.
const PAGE: u64 = 500;
/// Subscriptions one connection may hold at once.
pub const MAX_PER_CONNECTION: usize = 16;

/// Per-connection data: the subscriptions the connection may still open.
#[derive(Clone)]
pub struct ConnectionSlots(Arc<Semaphore>);

impl Default for ConnectionSlots {
    fn default() -> Self {
        ConnectionSlots(Arc::new(Semaphore::new(MAX_PER_CONNECTION)))
    }
}

/// Schema data: ends every subscription when the server shuts down.
#[derive(Clone)]
pub struct Shutdown(pub watch::Receiver<bool>);

/// One change to the knowledge base, as recorded in the change log.
pub struct Change(changelog::Change);

/// One change to the knowledge base, as recorded in the change log: what happened to which entity,
/// when, and its place in the log to resume from.
#[Object]
impl Change {
    /// What happened to the entity.
    async fn operation(&self) -> ChangeOperation {
        self.0.operation.into_graphql()
    }

    /// The kind of entity changed.
    async fn kind(&self) -> enums::EntityKind {
        self.0.kind.into_graphql()
    }

    /// The entity's global id.
    async fn id(&self) -> ID {
        global_id(self.0.kind, self.0.id)
    }

    /// The entity's slug at the time of the change; empty for a person (the log keeps no personal data).
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The entity as it is now (not as it was then); null once deleted.
    async fn node(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        if self.0.operation == Operation::Deleted {
            return Ok(None);
        }
        load_entity(ctx, self.0.kind, self.0.id).await
    }

    /// When the change was written.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The change's place in the log: pass it as `after` to resume from there.
    async fn position(&self) -> ID {
        ID(self.0.position.to_string())
    }
}

#[derive(Default)]
pub struct Subscription;

/// Live changes to the knowledge base, streamed over a WebSocket.
#[Subscription]
impl Subscription {
    /// Every change to the knowledge base from now on, on whichever replica it was made, in log
    /// order, once this replica's search has it. With `after` (a change's `position`), first the
    /// retained changes after that one, so that a client that reconnects misses nothing.
    async fn changes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Only changes to these kinds of entity.")] kinds: Option<Vec<enums::EntityKind>>,
        #[graphql(desc = "Resume after this position.")] after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Change>> + 'a> {
        let kb = kb(ctx).clone();
        let slot = match ctx.data_opt::<ConnectionSlots>() {
            Some(ConnectionSlots(slots)) => Some(slots.clone().try_acquire_owned().map_err(|_| {
                AppError::invalid("", format!("a connection may hold at most {MAX_PER_CONNECTION} subscriptions"))
            })?),
            None => None,
        };
        let applied = kb.applied_changes();
        let position = match after {
            Some(id) => id.parse::<i64>().map_err(|_| AppError::invalid("after", "not a change position"))?,
            None => *applied.borrow(),
        };
        let low_water = kb.changes_low_water().await?;
        if position < low_water {
            return Err(AppError::invalid(
                "after",
                format!("the changes after {position} are no longer kept (the log starts after {low_water}); start over without `after`"),
            )
            .into());
        }
        let shutdown = ctx.data_opt::<Shutdown>().map(|s| s.0.clone());
        let follow = Follow {
            kb,
            applied,
            position,
            kinds: kinds.into_domain(),
            waiting: VecDeque::new(),
            shutdown,
            loader: ctx.data_opt::<RequestLoader>(),
            done: false,
            _slot: slot,
        };
        Ok(futures_util::stream::unfold(follow, |mut follow| async move {
            let next = follow.next().await?;
            Some((next, follow))
        }))
    }
}

/// A subscription's place in the log.
struct Follow<'a> {
    kb: Kb,
    applied: watch::Receiver<i64>,
    /// The last entry read.
    position: i64,
    kinds: Option<Vec<EntityKind>>,
    waiting: VecDeque<changelog::Change>,
    shutdown: Option<watch::Receiver<bool>>,
    /// The subscription's DataLoader, emptied before each event so that every `node` is read afresh.
    loader: Option<&'a RequestLoader>,
    done: bool,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Follow<'_> {
    /// The next event, `None` when the subscription ends.
    async fn next(&mut self) -> Option<Result<Change>> {
        if self.done {
            return None;
        }
        loop {
            if let Some(change) = self.waiting.pop_front() {
                if let Some(loader) = self.loader {
                    loaders::forget(loader);
                }
                return Some(Ok(Change(change)));
            }
            let applied = *self.applied.borrow_and_update();
            if applied > self.position {
                match self.read(applied).await {
                    Ok(()) => continue,
                    Err(err) => {
                        self.done = true;
                        return Some(Err(err.into()));
                    }
                }
            }
            let (shutdown, watched) = (&mut self.shutdown, &mut self.applied);
            let stopping = async {
                match shutdown {
                    Some(shutdown) => {
                        let _ = shutdown.wait_for(|stop| *stop).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = watched.changed() => if changed.is_err() { return None },
                () = stopping => return None,
            }
        }
    }

    /// Reads the entries after the position, up to what this replica has applied.
    async fn read(&mut self, applied: i64) -> Result<(), AppError> {
        let page = self.kb.changes_after(self.position, PAGE).await?;
        let low_water = self.kb.changes_low_water().await?;
        if low_water > self.position {
            return Err(AppError::Conflict {
                message: format!(
                    "this subscription fell behind: the changes after {} are no longer kept; resubscribe without `after` and reload",
                    self.position
                ),
                field: None,
            });
        }
        let Some(last) = page.last else {
            // Nothing after the position: only gaps left by rolled-back writes.
            self.position = applied;
            return Ok(());
        };
        for change in page.changes.into_iter().filter(|c| c.position <= applied) {
            if self.kinds.as_ref().is_none_or(|kinds| kinds.contains(&change.kind)) {
                self.waiting.push_back(change);
            }
        }
        // A full page may stop short of what was applied; otherwise everything up to it was read.
        self.position = if page.full && last < applied { last } else { applied };
        Ok(())
    }
}
