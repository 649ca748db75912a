//! A real SMTP server on loopback (mailin-embedded) that records what it receives and can
//! be told to answer 4xx or 5xx, quoting the address as real servers do; and a server that
//! accepts connections but never speaks.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 451 to RCPT TO.
    Transient,
    /// 554 to RCPT TO.
    Permanent,
    /// 554 to RCPT TO for addresses containing this text, accepting the others.
    PermanentFor(&'static str),
    /// Accepts, taking this long to answer at the end of the message.
    AcceptAfterMillis(u64),
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
    /// The envelope sender (`MAIL FROM`), where bounces go.
    pub envelope_from: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.raw
            .lines()
            .take_while(|line| !line.is_empty())
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID").unwrap_or_default()
    }

    pub fn to(&self) -> String {
        self.header("To").unwrap_or_default()
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct State {
    mode: Option<Mode>,
    received: Vec<Received>,
}

#[derive(Clone)]
struct Recorder {
    state: Arc<Mutex<State>>,
    buffer: Vec<u8>,
    from: String,
}

impl Handler for Recorder {
    // Refusals come at RCPT: mailin stays in DATA mode after an error at the end of data.
    fn rcpt(&mut self, to: &str) -> Response {
        match self.state.lock().unwrap().mode.unwrap_or(Mode::Accept) {
            Mode::Accept | Mode::AcceptAfterMillis(_) => OK,
            Mode::Transient => Response::custom(451, format!("4.2.0 <{to}>: mailbox busy")),
            Mode::PermanentFor(text) if !to.contains(text) => OK,
            Mode::Permanent | Mode::PermanentFor(_) => {
                Response::custom(554, format!("5.1.1 <{to}>: no such user here"))
            }
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.buffer.clear();
        self.from = from.to_owned();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buffer.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mode = self.state.lock().unwrap().mode;
        if let Some(Mode::AcceptAfterMillis(millis)) = mode {
            std::thread::sleep(std::time::Duration::from_millis(millis));
        }
        self.state.lock().unwrap().received.push(Received {
            raw: String::from_utf8_lossy(&self.buffer).replace("\r\n", "\n"),
            envelope_from: self.from.clone(),
        });
        OK
    }
}

pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// On a port chosen earlier (a server that was "down" comes up).
    pub fn start_on(port: u16) -> Self {
        Self::on(TcpListener::bind(("127.0.0.1", port)).unwrap())
    }

    fn on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let mut server = Server::new(Recorder {
            state: state.clone(),
            buffer: Vec::new(),
            from: String::new(),
        });
        server
            .with_name("smtp.test")
            .with_num_threads(32)
            .with_tcp_listener(listener);
        // serve() has no shutdown: the thread lives as long as the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = Some(mode);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

/// A port where nothing listens (connections are refused).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server that accepts connections and never answers.
pub fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}
