//! `dns`: one question to one DNS server, and what its answer must be; metrics
//! `latency_ms` and `answers` (the records of the asked type).
//!
//! A check asks a given server (or the system's first `nameserver`) directly, with no
//! cache, no search list and no fallback to another server: what it measures is that
//! server. So it needs a DNS message codec, not a resolver: the messages are built and
//! read by hickory-proto (std only, no networking, no DNSSEC), and the exchange is this
//! file's: one UDP datagram, resent each second until the check's timeout, and the same
//! question over TCP when the answer comes back truncated. Owning the socket keeps the
//! hard timeout plain (the engine drops the future, and the socket with it); a resolver
//! crate (hickory-resolver) would bring its caches, its own retry policy and a spawned
//! background task for one question.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::Text;

/// A DNS question and the answer it must get.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsCheck {
    /// The name to look up (`example.com`).
    #[schemars(length(min = 1))]
    pub name: Text,
    /// The record type (default `A`).
    #[serde(rename = "type")]
    pub record_type: Option<DnsType>,
    /// The server, `host:port` or `host` (port 53). Default: the first `nameserver` of
    /// /etc/resolv.conf.
    pub server: Option<Text>,
    /// What the answer must be (default: `rcode: NOERROR` and at least one answer).
    pub expect: Option<DnsExpect>,
}

/// The record types a check can ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsType {
    #[default]
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Ns,
}

/// Expectations on the answer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsExpect {
    /// Answers that must all be among the records: an address (`10.0.0.1`), a name
    /// (`mail.example.com`, any case, the final dot optional), an MX as `10 mail.example.com`
    /// or its name alone, a TXT record's text.
    pub contains: Option<Vec<Text>>,
    /// The response code (default `NOERROR`). With another code no answer is needed.
    pub rcode: Option<DnsRcode>,
}

/// A DNS response code (RFC 1035 §4.1.1, RFC 6895).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsRcode {
    #[default]
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
}

impl CheckKind for DnsCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "answers"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        if self.name.is_valid() && Name::from_utf8(self.name.as_str()).is_err() {
            rules.error(
                self.name.span(),
                format!("`{}` is not a domain name", self.name),
                "write e.g. `example.com` (labels of at most 63 characters, 253 in all)",
            );
        }
        if let Some(server) = self.server.as_ref().filter(|s| s.is_valid())
            && parse_server(server.as_str()).is_none()
        {
            rules.error(
                server.span(),
                format!("`{server}` is not `host:port`"),
                "write e.g. `127.0.0.1:53`, `[::1]:5353` or `ns1.example.com`; leave `server` out to ask the system's resolver",
            );
        }
        let Some(expect) = &self.expect else { return };
        let record_type = self.record_type.unwrap_or_default();
        let contains = expect.contains.iter().flatten().filter(|item| item.is_valid());
        if expect.rcode.is_some_and(|rcode| rcode != DnsRcode::NoError) {
            if let Some(first) = expect.contains.iter().flatten().next() {
                rules.error(
                    first.span(),
                    "`contains` cannot be met: an answer whose rcode is not NOERROR has no records",
                    "drop `contains`, or expect `rcode: NOERROR`",
                );
            }
            return;
        }
        for item in contains {
            if let Some(what) = record_type.refuses(item.as_str()) {
                rules.error(
                    item.span(),
                    format!("`{item}` cannot be a `type: {}` answer: it is not {what}", record_type.name()),
                    "write the answer as the server gives it, or change `type`",
                );
            }
        }
    }
}

impl DnsType {
    fn name(self) -> &'static str {
        match self {
            DnsType::A => "A",
            DnsType::Aaaa => "AAAA",
            DnsType::Cname => "CNAME",
            DnsType::Mx => "MX",
            DnsType::Txt => "TXT",
            DnsType::Ns => "NS",
        }
    }

    fn wire(self) -> RecordType {
        match self {
            DnsType::A => RecordType::A,
            DnsType::Aaaa => RecordType::AAAA,
            DnsType::Cname => RecordType::CNAME,
            DnsType::Mx => RecordType::MX,
            DnsType::Txt => RecordType::TXT,
            DnsType::Ns => RecordType::NS,
        }
    }

    /// What an expected answer of this type should be, when `written` is not that.
    fn refuses(self, written: &str) -> Option<&'static str> {
        let is_name = |text: &str| Name::from_utf8(text).is_ok_and(|name| !name.is_root());
        let fits = match self {
            DnsType::A => written.parse::<std::net::Ipv4Addr>().is_ok(),
            DnsType::Aaaa => written.parse::<std::net::Ipv6Addr>().is_ok(),
            DnsType::Cname | DnsType::Ns => is_name(written),
            DnsType::Mx => match written.split_once(' ') {
                Some((preference, exchange)) => preference.parse::<u16>().is_ok() && is_name(exchange.trim()),
                None => is_name(written),
            },
            DnsType::Txt => true,
        };
        (!fits).then_some(match self {
            DnsType::A => "an IPv4 address",
            DnsType::Aaaa => "an IPv6 address",
            DnsType::Mx => "a mail exchange (`mail.example.com` or `10 mail.example.com`)",
            _ => "a domain name",
        })
    }
}

impl DnsRcode {
    fn name(self) -> &'static str {
        match self {
            DnsRcode::NoError => "NOERROR",
            DnsRcode::FormErr => "FORMERR",
            DnsRcode::ServFail => "SERVFAIL",
            DnsRcode::NxDomain => "NXDOMAIN",
            DnsRcode::NotImp => "NOTIMP",
            DnsRcode::Refused => "REFUSED",
        }
    }

    fn wire(self) -> ResponseCode {
        match self {
            DnsRcode::NoError => ResponseCode::NoError,
            DnsRcode::FormErr => ResponseCode::FormErr,
            DnsRcode::ServFail => ResponseCode::ServFail,
            DnsRcode::NxDomain => ResponseCode::NXDomain,
            DnsRcode::NotImp => ResponseCode::NotImp,
            DnsRcode::Refused => ResponseCode::Refused,
        }
    }
}

/// The host and port of a `server`: `1.2.3.4:53`, `[::1]:53`, `ns.example.com:53`, or
/// any of them without the port (53). `None` when it is none of these.
fn parse_server(written: &str) -> Option<(String, u16)> {
    if let Ok(address) = written.parse::<std::net::SocketAddr>() {
        return (address.port() != 0).then(|| (address.ip().to_string(), address.port()));
    }
    if let Ok(address) = written.parse::<IpAddr>() {
        return Some((address.to_string(), DNS_PORT));
    }
    let (host, port) = match written.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => (written, DNS_PORT),
    };
    let is_host = !host.is_empty() && !host.contains(':') && Name::from_ascii(host).is_ok();
    is_host.then(|| (host.to_string(), port))
}

const DNS_PORT: u16 = 53;

// ---------------------------------------------------------------------------------------
// Probe

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// Where the system's resolver is written.
const RESOLV_CONF: &str = "/etc/resolv.conf";
/// A UDP question unanswered this long is sent again (a lost datagram is not a dead server).
const RESEND_AFTER: Duration = Duration::from_secs(1);
/// The EDNS payload size asked for (the DNS flag day 2020 value: no IP fragmentation).
const UDP_PAYLOAD: u16 = 1232;
/// At most this many answers are listed in the message.
const LISTED: usize = 5;

/// One attempt. Never fails: a failure is an `Observation`. The socket is this future's
/// own, so the engine's timeout, which drops the future, closes it.
pub async fn probe(config: &DnsCheck, _ctx: &ProbeContext<'_>) -> Observation {
    let record_type = config.record_type.unwrap_or_default();
    let name = match Name::from_utf8(config.name.as_str()) {
        Ok(name) => name,
        Err(error) => return Observation::unknown(format!("`{}` is not a domain name: {error}", config.name)),
    };
    let (host, port) = match &config.server {
        Some(server) => match parse_server(server.as_str()) {
            Some(parsed) => parsed,
            None => return Observation::unknown(format!("`{server}` is not host:port")),
        },
        None => match system_nameserver(RESOLV_CONF) {
            Some(address) => (address.to_string(), DNS_PORT),
            None => {
                return Observation::unknown(format!(
                    "no usable `nameserver` in {RESOLV_CONF}: set `server` (e.g. `127.0.0.1:53`)"
                ));
            }
        },
    };
    let shown = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let address = match resolve(&host, port).await {
        Ok(address) => address,
        Err(error) => return Observation::fail(format!("cannot resolve the server {shown}: {error}")),
    };

    let mut question = Message::query();
    question.metadata.recursion_desired = true;
    question.add_query(Query::query(name.clone(), record_type.wire()));
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    question.set_edns(edns);
    let bytes = match question.to_vec() {
        Ok(bytes) => bytes,
        Err(error) => return Observation::unknown(format!("cannot encode the question: {error}")),
    };

    let started = Instant::now();
    let mut answer = match ask_udp(address, &bytes, &question).await {
        Ok(answer) => answer,
        Err(error) => return Observation::fail(format!("{shown}: {error}")),
    };
    if answer.metadata.truncation {
        answer = match ask_tcp(address, &bytes, &question).await {
            Ok(answer) => answer,
            Err(error) => return Observation::fail(format!("{shown} (TCP, the UDP answer was truncated): {error}")),
        };
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    judge(config, &answer, latency_ms)
}

/// The verdict on an answer: its rcode, that it has records (when NOERROR is expected),
/// and each `contains` among them.
fn judge(config: &DnsCheck, answer: &Message, latency_ms: f64) -> Observation {
    let record_type = config.record_type.unwrap_or_default();
    let expect = config.expect.as_ref();
    let expected_rcode = expect.and_then(|e| e.rcode).unwrap_or_default();
    let question_name = answer.queries.first().map(|q| q.name().clone()).unwrap_or_default();
    let answers: Vec<String> =
        records_for(&answer.answers, &question_name, record_type).filter_map(answer_text).collect();
    let count = answers.len();
    let rcode = answer.metadata.response_code;
    let question = format!("{} {}", config.name, record_type.name());
    let took = format!("in {}ms", format_number(latency_ms));

    let mut failures = Vec::new();
    if rcode != expected_rcode.wire() {
        failures.push(format!("expected {}, got {}", expected_rcode.name(), rcode_name(rcode)));
    } else if expected_rcode == DnsRcode::NoError && count == 0 {
        failures.push(format!("no {} record", record_type.name()));
    }
    if rcode == ResponseCode::NoError {
        for wanted in expect.and_then(|e| e.contains.as_ref()).into_iter().flatten() {
            if !answers.iter().any(|given| same_answer(record_type, wanted.as_str(), given)) {
                failures.push(format!("no answer `{wanted}`"));
            }
        }
    }
    let listed = if count == 0 {
        String::new()
    } else {
        let mut shown = answers.iter().take(LISTED).cloned().collect::<Vec<_>>().join(", ");
        if count > LISTED {
            shown.push_str(", …");
        }
        format!(": {}", crate::secret::scrub_and_cut(&shown, 200))
    };
    let summary = if rcode == ResponseCode::NoError {
        format!("{question}: {count} answer{} {took}{listed}", if count == 1 { "" } else { "s" })
    } else {
        format!("{question}: {} {took}", rcode_name(rcode))
    };
    let observation = if failures.is_empty() {
        Observation::pass(summary)
    } else {
        Observation::fail(format!("{} ({summary})", crate::secret::scrub_and_cut(&failures.join("; "), 400)))
    };
    observation.metric("latency_ms", latency_ms).metric("answers", count as f64)
}

/// The records of the answer section that answer the question: of the asked type, and
/// owned by the question's name or by a name on the CNAME chain from it (a record for
/// another name is a server's mistake or a spoof, never an answer). For type CNAME, only
/// the question name's own CNAME: the rest of the chain answers other questions.
fn records_for<'a>(records: &'a [Record], question: &Name, record_type: DnsType) -> impl Iterator<Item = &'a Record> {
    let mut owners = vec![question.clone()];
    if record_type != DnsType::Cname {
        // Each step follows the CNAME of the last name; a loop ends when no new name comes.
        while let Some(target) = records.iter().find_map(|record| match &record.data {
            RData::CNAME(target) if owners.last().is_some_and(|last| record.name.eq_ignore_root(last)) => {
                Some(target.0.clone())
            }
            _ => None,
        }) {
            if owners.iter().any(|owner| owner.eq_ignore_root(&target)) {
                break;
            }
            owners.push(target);
        }
    }
    records.iter().filter(move |record| {
        record.record_type() == record_type.wire() && owners.iter().any(|owner| record.name.eq_ignore_root(owner))
    })
}

/// A record's data as written in a zone file (names without their final dot), or `None`
/// for a type the check does not ask for.
fn answer_text(record: &Record) -> Option<String> {
    let name = |name: &Name| name.to_utf8().trim_end_matches('.').to_string();
    Some(match &record.data {
        RData::A(address) => address.0.to_string(),
        RData::AAAA(address) => address.0.to_string(),
        RData::CNAME(target) => name(&target.0),
        RData::NS(server) => name(&server.0),
        RData::MX(mx) => format!("{} {}", mx.preference, name(&mx.exchange)),
        RData::TXT(txt) => txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect(),
        _ => return None,
    })
}

/// Whether the expected `wanted` is the answer `given`: addresses as addresses
/// (`fd00::1` is `fd00:0::1`), names in any case with or without the final dot, an MX by
/// its exchange alone too, text as it is.
fn same_answer(record_type: DnsType, wanted: &str, given: &str) -> bool {
    let same_name = |a: &str, b: &str| a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'));
    match record_type {
        DnsType::A | DnsType::Aaaa => match (wanted.parse::<IpAddr>(), given.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => wanted == given,
        },
        DnsType::Cname | DnsType::Ns => same_name(wanted, given),
        DnsType::Mx => {
            let (preference, exchange) = given.split_once(' ').unwrap_or(("", given));
            match wanted.trim().split_once(' ') {
                Some((p, e)) => p == preference && same_name(e.trim(), exchange),
                None => same_name(wanted, exchange),
            }
        }
        DnsType::Txt => wanted == given,
    }
}

fn rcode_name(rcode: ResponseCode) -> String {
    match rcode {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("rcode {}", u16::from(other)),
    }
}

/// The first `nameserver` of a resolv.conf that is an address runner can use (a
/// link-local one with a `%zone` is skipped).
fn system_nameserver(path: &str) -> Option<IpAddr> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .find_map(|rest| rest.split_whitespace().next()?.parse::<IpAddr>().ok())
}

/// The server's address: an IP as written, or a name looked up by the system.
async fn resolve(host: &str, port: u16) -> std::io::Result<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address"))
}

/// Sends the question over UDP, again each [`RESEND_AFTER`], until the answer to it
/// arrives. Datagrams that are not that answer (another id, another question) are
/// ignored: they may be late answers or spoofs.
async fn ask_udp(address: SocketAddr, bytes: &[u8], question: &Message) -> Result<Message, String> {
    let local: SocketAddr = if address.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = tokio::net::UdpSocket::bind(local).await.map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    // Connected: the kernel drops datagrams from other addresses, and a closed port's
    // ICMP "port unreachable" comes back as ECONNREFUSED.
    socket.connect(address).await.map_err(|e| describe_io(&e))?;
    let mut buffer = vec![0u8; 65_535];
    loop {
        socket.send(bytes).await.map_err(|e| describe_io(&e))?;
        let deadline = tokio::time::Instant::now() + RESEND_AFTER;
        while let Ok(received) = tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
            let length = received.map_err(|e| describe_io(&e))?;
            if let Some(answer) = answer_to(question, &buffer[..length])? {
                return Ok(answer);
            }
        }
    }
}

/// The question over TCP (RFC 1035 §4.2.2: each message after its length in two bytes).
async fn ask_tcp(address: SocketAddr, bytes: &[u8], question: &Message) -> Result<Message, String> {
    let mut stream = tokio::net::TcpStream::connect(address).await.map_err(|e| describe_io(&e))?;
    let length = u16::try_from(bytes.len()).map_err(|_| "the question is too long".to_string())?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(bytes);
    stream.write_all(&framed).await.map_err(|e| describe_io(&e))?;
    loop {
        let length = stream.read_u16().await.map_err(|e| describe_io(&e))?;
        let mut buffer = vec![0u8; usize::from(length)];
        stream.read_exact(&mut buffer).await.map_err(|e| describe_io(&e))?;
        if let Some(answer) = answer_to(question, &buffer)? {
            return Ok(answer);
        }
    }
}

/// The message in `bytes` when it answers `question` (same id, a response, the same
/// question); `None` when it is about something else; an error when it carries the id
/// but does not parse.
fn answer_to(question: &Message, bytes: &[u8]) -> Result<Option<Message>, String> {
    let id = question.metadata.id;
    if bytes.len() < 2 || u16::from_be_bytes([bytes[0], bytes[1]]) != id {
        return Ok(None);
    }
    let answer = Message::from_vec(bytes).map_err(|e| format!("the answer does not parse: {e}"))?;
    // Names compare without the root label: the question's `example.com` comes back as
    // `example.com.`.
    let same_question = answer.queries.is_empty()
        || (answer.queries.len() == question.queries.len()
            && answer.queries.iter().zip(&question.queries).all(|(given, asked)| {
                given.query_type() == asked.query_type() && given.name().eq_ignore_root_case(asked.name())
            }));
    Ok((answer.metadata.message_type == MessageType::Response && same_question).then_some(answer))
}

fn describe_io(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused (no DNS server on that port)".into(),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => "unreachable".into(),
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset => "the server closed the connection".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_an_address_with_or_without_its_port() {
        let parsed = |s: &str| parse_server(s).map(|(h, p)| format!("{h} {p}"));
        assert_eq!(parsed("127.0.0.1:5353").as_deref(), Some("127.0.0.1 5353"));
        assert_eq!(parsed("[::1]:5353").as_deref(), Some("::1 5353"));
        assert_eq!(parsed("::1").as_deref(), Some("::1 53"));
        assert_eq!(parsed("10.0.0.53").as_deref(), Some("10.0.0.53 53"));
        assert_eq!(parsed("ns1.example.com:53").as_deref(), Some("ns1.example.com 53"));
        assert_eq!(parsed("ns1.example.com").as_deref(), Some("ns1.example.com 53"));
        for bad in ["", ":53", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:0", "ns1 example:53", "a:b:c"] {
            assert_eq!(parsed(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_first_usable_nameserver_of_resolv_conf() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resolv.conf");
        std::fs::write(&path, "# x\nsearch example.com\nnameserver fe80::1%eth0\nnameserver 10.0.0.2 \n").unwrap();
        assert_eq!(system_nameserver(path.to_str().unwrap()), Some("10.0.0.2".parse().unwrap()));
        std::fs::write(&path, "search example.com\n").unwrap();
        assert_eq!(system_nameserver(path.to_str().unwrap()), None);
    }

    #[test]
    fn answers_match_as_addresses_names_and_exchanges() {
        assert!(same_answer(DnsType::Aaaa, "fd00:0::1", "fd00::1"));
        assert!(same_answer(DnsType::Cname, "Target.Example.Test.", "target.example.test"));
        assert!(same_answer(DnsType::Mx, "mail.example.test", "10 mail.example.test"));
        assert!(same_answer(DnsType::Mx, "10 mail.example.test.", "10 mail.example.test"));
        assert!(!same_answer(DnsType::Mx, "20 mail.example.test", "10 mail.example.test"));
        assert!(!same_answer(DnsType::Txt, "V=spf1", "v=spf1"));
    }
}
