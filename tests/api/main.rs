//! Integration tests: one binary, each test on its own fresh database, every test run
//! on PostgreSQL and on SQLite (see `on_both_databases!`).

#[macro_use]
mod helpers;

mod administrations;
mod api_keys;
mod audit_log;
mod command_line;
mod errors;
mod operations;
mod participants;
mod workshops;
