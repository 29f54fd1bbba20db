//! A real SMTP listener on 127.0.0.1 that records what it receives and can
//! be told to answer 4xx or 5xx, or to stop listening.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::email::ReceivedEmail;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 451 to every recipient: try again later.
    TemporaryFailure,
    /// 550 to every recipient: never.
    PermanentFailure,
}

#[derive(Clone, Debug)]
pub struct Envelope {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Shared {
    mode: Option<Mode>,
    received: Vec<Envelope>,
}

pub struct SmtpServer {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    task: Option<JoinHandle<()>>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Mutex::new(Shared { mode: Some(Mode::Accept), received: Vec::new() }));
        let task = Some(tokio::spawn(accept(listener, shared.clone())));
        SmtpServer { port, shared, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = Some(mode);
    }

    /// Stops listening: connections are refused until `resume`.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("re-bind SMTP port");
        self.task = Some(tokio::spawn(accept(listener, self.shared.clone())));
    }

    pub fn received(&self) -> Vec<Envelope> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits for a message to `recipient` and parses it.
    pub async fn wait_for(&self, recipient: &str) -> (Envelope, ReceivedEmail) {
        let envelope = super::eventually(Duration::from_secs(15), &format!("an email to {recipient}"), || async {
            self.received().into_iter().rev().find(|e| e.rcpt_to.iter().any(|r| r == recipient))
        })
        .await;
        let email = ReceivedEmail::parse(&envelope.data);
        (envelope, email)
    }
}

async fn accept(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(session(stream, shared.clone()));
    }
}

fn address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument.rfind('>').unwrap_or(argument.len());
    argument[start..end].to_string()
}

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut envelope = Envelope { mail_from: String::new(), rcpt_to: Vec::new(), data: String::new() };
    if write.write_all(b"220 smtp.test ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let mode = shared.lock().unwrap().mode.unwrap_or(Mode::Accept);
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-smtp.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                envelope = Envelope { mail_from: String::new(), rcpt_to: Vec::new(), data: String::new() };
                b"250 OK\r\n"
            }
            "MAIL" => {
                envelope.mail_from = address(&command[4..]);
                b"250 OK\r\n"
            }
            "RCPT" => match mode {
                Mode::Accept => {
                    envelope.rcpt_to.push(address(&command[4..]));
                    b"250 OK\r\n"
                }
                Mode::TemporaryFailure => b"451 4.3.0 Mailbox temporarily unavailable\r\n",
                Mode::PermanentFailure => b"550 5.1.1 No such user here\r\n",
            },
            "DATA" => {
                if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                envelope.data = data;
                shared.lock().unwrap().received.push(envelope.clone());
                envelope = Envelope { mail_from: String::new(), rcpt_to: Vec::new(), data: String::new() };
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => b"502 Command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
