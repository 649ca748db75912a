//! A real IMAP server for the tests: Debian's Dovecot on loopback, one per test, with a
//! configuration of its own under a temporary folder (plain IMAP, one user from a
//! passwd-file, Maildir). `scripts/ensure-dovecot.sh` installs it; the test command runs
//! that first.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::net::TcpStream;

pub const USER: &str = "bounces";
pub const PASSWORD: &str = "bounce-mailbox-test-word";

pub struct ImapServer {
    child: Child,
    _dir: tempfile::TempDir,
    pub port: u16,
}

fn run(command: &str, args: &[&str]) -> String {
    let out = Command::new(command).args(args).output().expect(command);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl ImapServer {
    pub fn start() -> Self {
        let dovecot = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect(
                "Dovecot is not installed: run scripts/ensure-dovecot.sh (the test command does)",
            );
        let dir = tempfile::Builder::new()
            .prefix("followup-imap-")
            .tempdir()
            .unwrap();
        let base = dir.path();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(base.join(sub)).unwrap();
        }
        let port = crate::smtp::closed_port();
        // As root, Dovecot's own users run the logins and the mail belongs to nobody; as
        // anybody else, everything runs as that user.
        let root = run("id", &["-u"]) == "0";
        let (uid, users_line) = if root {
            let status = Command::new("chown")
                .args(["65534:65534", base.join("mail").to_str().unwrap()])
                .status()
                .unwrap();
            assert!(status.success());
            ("65534".to_owned(), String::new())
        } else {
            let me = run("id", &["-un"]);
            (
                run("id", &["-u"]),
                format!("default_internal_user = {me}\ndefault_login_user = {me}\n"),
            )
        };
        let gid = if root {
            "65534".to_owned()
        } else {
            run("id", &["-g"])
        };
        std::fs::set_permissions(base, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let base_text = base.display();
        std::fs::write(
            base.join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{base_text}/mail/{USER}\n"),
        )
        .unwrap();
        std::fs::write(
            base.join("dovecot.conf"),
            format!(
                "base_dir = {base_text}/run\nstate_dir = {base_text}/state\n\
                 instance_name = followup-test-{port}\nlog_path = {base_text}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\nssl = no\n\
                 disable_plaintext_auth = no\nauth_mechanisms = plain login\nauth_failure_delay = 0\n\
                 first_valid_uid = 1\n{users_line}\
                 mail_location = maildir:{base_text}/mail/%u\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {base_text}/users\n}}\n\
                 userdb {{\n  driver = passwd-file\n  args = username_format=%u {base_text}/users\n}}\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n"
            ),
        )
        .unwrap();
        let child = Command::new(dovecot)
            .args(["-F", "-c"])
            .arg(base.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Dovecot");
        let server = Self {
            child,
            _dir: dir,
            port,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("Dovecot did not listen on {port}");
    }

    /// The `bounce_mailbox_url` of the user's inbox, with `password`.
    pub fn url_with(&self, password: &str) -> String {
        format!("imap://{USER}:{password}@127.0.0.1:{}/INBOX", self.port)
    }

    pub fn url(&self) -> String {
        self.url_with(PASSWORD)
    }

    async fn session(&self) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Puts `raw` in the inbox, as a relay delivering a bounce would.
    pub async fn append(&self, raw: &[u8]) {
        let mut session = self.session().await;
        session.append("INBOX", None, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }

    /// How many messages `folder` holds (0 when it does not exist).
    pub async fn count(&self, folder: &str) -> usize {
        let mut session = self.session().await;
        let count = match session.select(folder).await {
            Ok(mailbox) => mailbox.exists as usize,
            Err(_) => 0,
        };
        let _ = session.logout().await;
        count
    }

    /// The subjects in `folder`.
    pub async fn subjects(&self, folder: &str) -> Vec<String> {
        let mut session = self.session().await;
        if session.select(folder).await.is_err() {
            return Vec::new();
        }
        let fetched: Vec<_> = session
            .fetch("1:*", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap_or_default();
        let _ = session.logout().await;
        fetched
            .iter()
            .filter_map(|f| f.header())
            .map(|h| String::from_utf8_lossy(h).trim().to_owned())
            .collect()
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message of the corpus in `fixtures/bounces`, with the officer's address, the envelope
/// sender the mail left with and its Message-ID (without angle brackets) put in.
pub fn bounce_fixture(name: &str, recipient: &str, envelope: &str, message_id: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bounces")
        .join(name);
    String::from_utf8_lossy(&std::fs::read(path).unwrap())
        .replace("%RECIPIENT%", recipient)
        .replace("%ENVELOPE%", envelope)
        .replace("%MESSAGE_ID%", message_id)
        .into_bytes()
}
