//! Integration tests: one binary, each test on its own fresh database, every test run
//! on PostgreSQL and on SQLite (see `on_both_databases!`).

#[macro_use]
mod helpers;

mod access;
mod administrations;
mod analytics;
mod analytics_one_pass;
mod api_keys;
mod audit_log;
mod bounces;
mod command_line;
mod conditional;
mod errors;
mod follow_up;
mod good_practices;
mod http_protocol;
mod idempotency;
mod imap_server;
mod invitations;
mod layout;
mod limits;
mod mail;
mod mail_faults;
mod mail_reading;
mod mail_templates;
mod migrations;
mod none_of_these;
mod not_for_me;
mod officer_mail;
mod operations;
mod pages;
mod participants;
mod privacy;
mod privacy_on_disk;
mod process;
mod questionnaires;
mod receiver;
mod replies;
mod reply_path;
mod respond;
mod revision_rows;
mod rounds;
mod shared_database;
mod smtp;
mod spreadsheets;
mod timeline;
mod webhook_proxy;
mod webhooks;
mod workshops;
