use clap::Parser;

/// mimalloc rather than the system's allocator: a reply allocates and frees many small
/// blocks, and glibc's malloc and free were a seventh of its CPU (`scripts/bench-replies.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    followup::cli::run(followup::cli::Cli::parse()).await
}
