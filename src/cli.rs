//! The command line: `followup serve | migrate | keys | openapi`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use entity::api_key::Role;

use crate::config::Settings;
use anyhow::Context;

use crate::base::error::ServiceError;
use crate::domain::InvalidInput;
use crate::services::questionnaires::QuestionCache;
use crate::services::replies::import;
use crate::services::{api_keys, audit::Actor, deliverability};
use crate::startup::{Application, prepare_database};
use crate::{db, domain, openapi, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "followup",
    version,
    about = "Follow-up Actions Survey service of the WCO ROCB Asia/Pacific"
)]
pub struct Cli {
    /// Configuration file (.toml, .yaml or .yml); environment variables override it.
    #[arg(long, global = true, env = "FOLLOWUP_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve {
        /// Load the demo data first (the Survey 2020 of the report and Survey 2019) unless
        /// they are loaded already.
        #[arg(long)]
        demo: bool,
    },
    /// Load the demo data: the Survey 2020 of the ROCB A/P Good Practice Report (round 6)
    /// and an earlier round (round 5), both closed.
    Demo,
    /// Apply schema migrations and load reference data, then exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Import a historical round's replies from CSV (the export's format), all or nothing.
    Import {
        /// The id of the round to load into (not closed).
        #[arg(long)]
        round: i32,
        /// The CSV file.
        file: PathBuf,
    },
    /// Read returned mail saved as files (bounces, complaints, automatic replies, as
    /// `.eml`), as the bounce mailbox's poller reads its messages: each is recorded once.
    Bounces {
        /// The message files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Issue a key and print its secret (shown once).
    Create {
        /// admin, editor, viewer or partner.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who or what will use the key.
        #[arg(long)]
        name: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key's id, as `keys list` shows it.
        id: i32,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| "must be one of admin, editor, viewer, partner".to_owned())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        print!("{}", openapi::to_json(&openapi::document()));
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    let output = match cli.command {
        Command::Serve { .. } => telemetry::LogOutput::Stdout,
        _ => telemetry::LogOutput::Stderr,
    };
    telemetry::init(&settings.log_level, settings.log_format, output);
    match cli.command {
        Command::Serve { demo } => {
            if demo {
                let db = database(&settings).await?;
                if !crate::demo::is_loaded(&db).await? {
                    let loaded = crate::demo::load(&db).await?;
                    tracing::info!(round = loaded.survey_2020, "loaded the demo data");
                }
            }
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Demo => {
            let db = database(&settings).await?;
            let loaded = crate::demo::load(&db).await?;
            println!(
                "loaded Survey 2019 (round id {}) and Survey 2020 (round id {})",
                loaded.survey_2019, loaded.survey_2020
            );
        }
        Command::Migrate => {
            database(&settings).await?;
            println!("database is up to date");
        }
        Command::Keys(command) => {
            let db = database(&settings).await?;
            run_keys(&db, command).await?;
        }
        Command::Import { round, file } => {
            let db = database(&settings).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            match import::import(
                &db,
                &QuestionCache::default(),
                &Actor::command_line(),
                round,
                &text,
            )
            .await
            {
                Ok(summary) => println!(
                    "imported {} replies ({} workshops created)",
                    summary.replies, summary.workshops_created
                ),
                Err(ServiceError::Invalid(InvalidInput(errors))) => {
                    for error in &errors {
                        eprintln!("{}: {}", error.field, error.message);
                    }
                    anyhow::bail!("nothing was imported: {} problem(s)", errors.len());
                }
                Err(other) => return Err(anyhow::anyhow!(other)),
            }
        }
        Command::Bounces { files } => {
            let db = database(&settings).await?;
            read_bounces(&db, &settings, &files).await?;
        }
        Command::Openapi => unreachable!("handled above"),
    }
    Ok(())
}

/// The configured database, migrated.
async fn database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect(&settings.database()).await?;
    prepare_database(&db).await?;
    Ok(db)
}

/// Records what each file says and prints what became of it.
async fn read_bounces(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    let returns = deliverability::Returns {
        bounce: crate::mail::bounce_address(settings)?,
        key: settings.token_key()?,
    };
    for file in files {
        let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let taken = deliverability::take_returned(db, &returns, &raw, chrono::Utc::now()).await?;
        let said = match taken {
            deliverability::Taken::Recorded => "recorded",
            deliverability::Taken::AlreadySeen => "recorded before",
            deliverability::Taken::Unmatched => "about no mail of ours: nothing recorded",
            deliverability::Taken::Unreadable => {
                "not a bounce, complaint or automatic reply: nothing recorded"
            }
        };
        println!("{}: {said}", file.display());
    }
    Ok(())
}

async fn run_keys(db: &sea_orm::DatabaseConnection, command: KeysCommand) -> anyhow::Result<()> {
    let actor = Actor::command_line();
    match command {
        KeysCommand::Create { role, name } => {
            let name = domain::required_text(&name, domain::MAX_TEXT_CHARS)
                .map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let issued = api_keys::create(db, &actor, name, role).await?;
            eprintln!(
                "created key {} ({:?}); store this secret now, it is not shown again:",
                issued.key.id, issued.key.role
            );
            println!("{}", issued.secret);
        }
        KeysCommand::List => {
            let page = crate::base::listing::PageRequest {
                page: 1,
                per_page: crate::http::paging::MAX_PER_PAGE,
            };
            for key in api_keys::list(db, page).await?.items {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{:?}\t{}\t{}",
                    key.id, key.prefix, key.role, state, key.name
                );
            }
        }
        KeysCommand::Revoke { id } => {
            api_keys::revoke(db, &actor, id).await?;
            println!("revoked key {id}");
        }
    }
    Ok(())
}
