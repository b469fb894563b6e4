//! Pépite's integration tests: one binary, through GraphQL over HTTP and the CLI.

mod helpers;

mod advice;
mod crash;
mod cursors;
mod dataloader;
mod field_order;
mod guard;
mod hostile;
mod http;
mod import_export;
mod index;
mod limits;
mod mirror;
mod mutations;
mod operations;
mod queries;
mod relevance;
mod replicas;
mod search;
mod server;
mod websocket_limits;
