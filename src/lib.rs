//! The Follow-up Actions Survey service of the WCO ROCB Asia/Pacific.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod auth;
pub mod cli;
pub mod conditional;
pub mod config;
pub mod cors;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod jobs;
pub mod mail;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod rate_limit;
pub mod routes;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
