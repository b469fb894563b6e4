//! Pépite's integration tests: one binary, through GraphQL over HTTP and the CLI.

mod helpers;

mod crash;
mod dataloader;
mod import_export;
mod index;
mod mutations;
mod queries;
mod relevance;
mod search;
mod server;
