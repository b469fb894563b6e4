//! Pépite's integration tests: one binary, through GraphQL over HTTP and the CLI.

mod helpers;

mod advice;
mod backup;
mod crash;
mod cursors;
mod dataloader;
mod events;
mod federation;
mod field_order;
mod geo;
mod guard;
mod hostile;
mod http;
mod import_export;
mod index;
mod limits;
mod mentors;
mod mirror;
mod mutations;
mod operations;
mod outage;
mod people;
mod queries;
mod relevance;
mod replicas;
mod round_trip;
mod schema_docs;
mod search;
mod server;
mod slow_clients;
mod spreadsheets;
mod translations;
mod trusted_documents;
mod websocket_limits;
mod writes;
