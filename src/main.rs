use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    followup::cli::run(followup::cli::Cli::parse()).await
}
