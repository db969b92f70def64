//! A NATS client that speaks the text protocol over a plain socket, for tests to set up
//! what the `nats` kind reads (JetStream streams and consumers, messages), independently
//! of the library the probe uses. JetStream's API is requests with JSON bodies on
//! `$JS.API.…` subjects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One message received: its payload and its reply subject.
pub struct Received {
    pub payload: String,
    pub reply: Option<String>,
}

pub struct NatsClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_sid: u32,
}

impl NatsClient {
    /// Connects to 127.0.0.1:`port` (no login).
    pub fn connect(port: u16) -> NatsClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut client =
            NatsClient { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream, next_sid: 1 };
        let info = client.line();
        assert!(info.starts_with("INFO "), "{info}");
        client.send(b"CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"runner-test\"}\r\nPING\r\n");
        let pong = client.line();
        assert_eq!(pong, "PONG", "the server refused the test client");
        client
    }

    /// Publishes `payload` to `subject` and returns the first reply.
    pub fn request(&mut self, subject: &str, payload: &str) -> String {
        self.request_many(subject, payload, 1).remove(0).payload
    }

    /// Publishes `payload` to `subject` and returns the first `count` replies.
    pub fn request_many(&mut self, subject: &str, payload: &str, count: usize) -> Vec<Received> {
        let sid = self.next_sid;
        self.next_sid += 1;
        let inbox = format!("_INBOX.runner-test.{}.{sid}", std::process::id());
        self.send(format!("SUB {inbox} {sid}\r\n").as_bytes());
        self.publish_with_reply(subject, Some(&inbox), payload);
        let replies = (0..count).map(|_| self.next_message()).collect();
        self.send(format!("UNSUB {sid}\r\n").as_bytes());
        replies
    }

    /// Publishes without waiting for anything (an acknowledgement, `+ACK`).
    pub fn publish(&mut self, subject: &str, payload: &str) {
        self.publish_with_reply(subject, None, payload);
        self.send(b"PING\r\n");
        while self.line() != "PONG" {}
    }

    fn publish_with_reply(&mut self, subject: &str, reply: Option<&str>, payload: &str) {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        self.send(format!("PUB {subject}{reply} {}\r\n{payload}\r\n", payload.len()).as_bytes());
    }

    fn next_message(&mut self) -> Received {
        loop {
            let line = self.line();
            if line == "PING" {
                self.send(b"PONG\r\n");
                continue;
            }
            assert!(!line.starts_with("-ERR"), "the server said {line}");
            let Some(header) = line.strip_prefix("MSG ") else { continue };
            // MSG <subject> <sid> [reply-to] <#bytes>
            let words: Vec<&str> = header.split(' ').collect();
            let size: usize = words.last().unwrap().parse().unwrap();
            let reply = (words.len() == 4).then(|| words[2].to_string());
            let mut payload = vec![0; size + 2];
            self.reader.read_exact(&mut payload).unwrap();
            payload.truncate(size);
            return Received { payload: String::from_utf8(payload).unwrap(), reply };
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("the NATS server answers");
        line.trim_end().to_string()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }
}
