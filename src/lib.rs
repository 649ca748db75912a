//! The Follow-up Actions Survey service of the WCO ROCB Asia/Pacific.
//!
//! Layers, each importing only those below it (`tests/api/layout.rs` holds the code to it):
//! the command line, start-up, the OpenAPI document, the HTTP edge (`http`, `routes`, `pages`) and
//! the jobs call the use cases (`services`), which use `analytics`, `mail` and `webhooks`;
//! everything rests on `base`, `config`, `db` and `domain`.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod base;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
