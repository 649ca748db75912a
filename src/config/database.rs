//! What is needed to open the database.

use std::path::PathBuf;

use secrecy::SecretString;

/// Where the embedded database and written mail live unless `data_dir` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_ACQUIRE_TIMEOUT_SECS: u64 = 5;
/// The embedded database's file under the data directory.
const SQLITE_FILE: &str = "followup.db";

/// What is needed to open the database.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub(super) url: Option<SecretString>,
    pub(super) data_dir: PathBuf,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

impl DatabaseSettings {
    pub fn new(url: SecretString) -> Self {
        Self {
            url: Some(url),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            acquire_timeout_secs: DEFAULT_ACQUIRE_TIMEOUT_SECS,
        }
    }

    /// The configured URL, or the embedded SQLite file under the data directory.
    pub fn url(&self) -> SecretString {
        self.url.clone().unwrap_or_else(|| {
            let file = self.data_dir.join(SQLITE_FILE);
            SecretString::from(format!("sqlite://{}?mode=rwc", file.display()))
        })
    }

    /// The embedded database's file, when the database is embedded.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.url.is_none().then(|| self.data_dir.join(SQLITE_FILE))
    }
}
