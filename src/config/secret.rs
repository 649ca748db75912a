//! The key participant links derive from, and the private data folder that keeps it.
//!
//! The secret is `token_secret` when set, else the content of `<data_dir>/token-secret`,
//! made on first start. A secret that is empty, short or a known example stops the start
//! (see `TokenKey::from_secret`): a guessable key would let anyone compute every link.
//! The file is written whole under a temporary name, synced, then linked into place only
//! if no other instance got there first (whose secret every instance then reads), so a
//! crash or a race never leaves an empty or a second secret.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use secrecy::ExposeSecret;

use super::{Settings, private_dir};
use crate::domain::TokenKey;

impl Settings {
    /// The key participant tokens derive from.
    pub fn token_key(&self) -> anyhow::Result<TokenKey> {
        if let Some(secret) = &self.token_secret {
            return TokenKey::from_secret(secret.expose_secret())
                .context("token_secret (FOLLOWUP_TOKEN_SECRET)");
        }
        let path = self.data_dir.join("token-secret");
        if !path.exists() {
            private_dir(&self.data_dir)?;
            create_secret(&path)?;
        }
        let secret =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        TokenKey::from_secret(&secret).with_context(|| {
            format!(
                "{} holds no usable secret: delete it to have a new one made (links already \
                 mailed then stop working), or put there the secret the other instances use",
                path.display()
            )
        })
    }
}

/// Writes a new random secret to `path` unless another process wrote one first.
fn create_secret(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().context("the secret's folder")?;
    let temporary = dir.join(format!(
        ".token-secret.{}.{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 4]>())
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(TokenKey::new_secret().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    // A hard link never replaces: the first instance's secret stays, the others read it.
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(error).with_context(|| format!("creating {}", path.display()));
        }
    }
    fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use secrecy::SecretString;

    use super::*;

    fn in_folder(dir: &Path) -> Settings {
        Settings {
            data_dir: dir.to_path_buf(),
            ..Settings::default()
        }
    }

    #[test]
    fn the_token_secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let settings = in_folder(dir.path());
        let first = settings.token_key().unwrap().token(1, 1);
        let again = settings.token_key().unwrap().token(1, 1);
        assert_eq!(first, again);
        let mode = fs::metadata(dir.path().join("token-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(folder & 0o777, 0o700);
    }

    #[test]
    fn an_empty_or_short_secret_file_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        for content in ["", "  \n", "0123456789"] {
            fs::write(dir.path().join("token-secret"), content).unwrap();
            let error = format!("{:#}", in_folder(dir.path()).token_key().unwrap_err());
            assert!(
                error.contains("openssl rand -hex 32"),
                "{content:?}: {error}"
            );
        }
    }

    #[test]
    fn instances_racing_on_the_first_start_share_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| in_folder(dir.path()).token_key().unwrap().token(1, 1)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one secret for all");
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left");
    }

    #[test]
    fn a_weak_configured_secret_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            token_secret: Some(SecretString::from("change-me-to-a-long-random-secret")),
            ..in_folder(dir.path())
        };
        let error = format!("{:#}", settings.token_key().unwrap_err());
        assert!(error.contains("FOLLOWUP_TOKEN_SECRET"), "{error}");
        assert!(error.contains("openssl rand -hex 32"), "{error}");
    }
}
