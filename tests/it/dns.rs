//! The `dns` kind against a real DNS server: a dnsmasq (tests/run installs it) that each
//! test starts on a free port of 127.0.0.1, authoritative for `example.test`; a UDP port
//! with nothing behind it; and a UDP socket that takes questions and never answers. Time
//! limits are asserted with a generous margin.

use std::net::{TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::checks::JsonRun;
use crate::support::redis::free_port;

/// This many TXT records of 250 bytes do not fit in a 1232-byte UDP answer: the server
/// sets TC and the check asks again over TCP.
const BIG_TXT_RECORDS: usize = 8;

/// A dnsmasq answering only from its command line (no /etc/hosts, no upstream, no config
/// file), authoritative for `example.test`; killed when dropped.
struct Dnsmasq {
    port: u16,
    child: Child,
}

impl Dnsmasq {
    fn start() -> Dnsmasq {
        let program = ["/usr/sbin/dnsmasq", "dnsmasq"]
            .into_iter()
            .find(|p| !p.starts_with('/') || std::path::Path::new(p).exists())
            .unwrap();
        let big_txt: Vec<String> =
            (0..BIG_TXT_RECORDS).map(|i| format!("--txt-record=big.example.test,{i}{}", "x".repeat(249))).collect();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(program)
                .args(["--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--no-resolv", "--no-hosts"])
                .args(["--listen-address=127.0.0.1", "--bind-interfaces", &format!("--port={port}")])
                .args(["--auth-server=ns1.example.test,127.0.0.1", "--auth-zone=example.test"])
                .args(["--auth-soa=1,hostmaster.example.test", "--host-record=ns1.example.test,127.0.0.1"])
                .args(["--host-record=www.example.test,10.1.2.3,fd00::1", "--host-record=www.example.test,10.1.2.5"])
                .args(["--host-record=mail.example.test,10.1.2.4", "--cname=alias.example.test,www.example.test"])
                .args(["--mx-host=example.test,mail.example.test,10", "--txt-record=example.test,v=spf1 -all"])
                .args(&big_txt)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dnsmasq is installed (tests/run installs dnsmasq-base)");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                // It answers over TCP on the same port once it answers over UDP.
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Dnsmasq { port, child };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken in between: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("dnsmasq did not start");
    }

    /// A `dns:` body asking this server.
    fn ask(&self, fields: &str) -> String {
        format!("dns: {{server: \"127.0.0.1:{}\", {fields}}}", self.port)
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn dns_each_record_type_and_its_answers() {
    let server = Dnsmasq::start();
    let checks = [
        ("a", server.ask("name: www.example.test, expect: {contains: [10.1.2.3, 10.1.2.5]}")),
        ("default-type", server.ask("name: mail.example.test")),
        ("aaaa", server.ask("name: www.example.test, type: AAAA, expect: {contains: [\"fd00:0::1\"]}")),
        ("cname", server.ask("name: alias.example.test, type: CNAME, expect: {contains: [WWW.example.test.]}")),
        ("mx", server.ask("name: example.test, type: MX, expect: {contains: [mail.example.test]}")),
        ("mx-pref", server.ask("name: example.test, type: MX, expect: {contains: [\"10 mail.example.test\"]}")),
        ("txt", server.ask("name: example.test, type: TXT, expect: {contains: [\"v=spf1 -all\"]}")),
        ("ns", server.ask("name: example.test, type: NS, expect: {contains: [ns1.example.test]}")),
    ];
    let run = JsonRun::checks(&checks);
    assert_eq!(run.code, 0, "{}", run.json);
    for (id, _) in &checks {
        let check = run.check(id);
        assert_eq!(check["status"], "ok", "{check}");
        assert!(check["metrics"]["latency_ms"].as_f64().unwrap() >= 0.0, "{check}");
    }
    let answers = |id: &str| run.check(id)["metrics"]["answers"].as_f64().unwrap();
    assert_eq!(answers("a"), 2.0);
    assert!(run.message("a").starts_with("www.example.test A: 2 answers in "), "{}", run.json);
    assert!(
        run.message("a").ends_with("ms: 10.1.2.3, 10.1.2.5") || run.message("a").ends_with("ms: 10.1.2.5, 10.1.2.3")
    );
    assert!(run.message("default-type").ends_with(": 10.1.2.4"), "{}", run.json);
    assert!(run.message("aaaa").ends_with(": fd00::1"), "{}", run.json);
    assert!(run.message("cname").ends_with(": www.example.test"), "{}", run.json);
    assert!(run.message("mx").ends_with(": 10 mail.example.test"), "{}", run.json);
    assert!(run.message("txt").ends_with(": v=spf1 -all"), "{}", run.json);
    assert!(run.message("ns").ends_with(": ns1.example.test"), "{}", run.json);
    for id in ["default-type", "aaaa", "cname", "mx", "txt", "ns"] {
        assert_eq!(answers(id), 1.0, "{id}: {}", run.json);
    }
}

#[test]
fn dns_nxdomain_missing_answers_and_unmet_contains() {
    let server = Dnsmasq::start();
    let checks = [
        ("gone", server.ask("name: nothing.example.test, expect: {rcode: NXDOMAIN}")),
        ("gone-unexpected", server.ask("name: nothing.example.test")),
        ("there-but-nxdomain-expected", server.ask("name: www.example.test, expect: {rcode: NXDOMAIN}")),
        ("no-mx", server.ask("name: www.example.test, type: MX")),
        ("wrong-address", server.ask("name: www.example.test, expect: {contains: [10.1.2.3, 10.9.9.9]}")),
    ];
    let run = JsonRun::checks(&checks);
    assert_eq!(run.check("gone")["status"], "ok", "{}", run.json);
    assert!(run.message("gone").starts_with("nothing.example.test A: NXDOMAIN in "), "{}", run.json);
    assert_eq!(run.check("gone")["metrics"]["answers"], 0.0);
    for id in ["gone-unexpected", "there-but-nxdomain-expected", "no-mx", "wrong-address"] {
        assert_eq!(run.check(id)["status"], "critical", "{}", run.json);
    }
    assert!(run.message("gone-unexpected").starts_with("expected NOERROR, got NXDOMAIN ("), "{}", run.json);
    assert!(run.message("there-but-nxdomain-expected").starts_with("expected NXDOMAIN, got NOERROR ("), "{}", run.json);
    assert!(run.message("no-mx").starts_with("no MX record (www.example.test MX: 0 answers in "), "{}", run.json);
    assert!(
        run.message("wrong-address").starts_with("no answer `10.9.9.9` (www.example.test A: 2 answers"),
        "{}",
        run.json
    );
}

#[test]
fn dns_a_truncated_answer_is_asked_again_over_tcp() {
    let server = Dnsmasq::start();
    let run = JsonRun::checks(&[("big", &server.ask("name: big.example.test, type: TXT"))]);
    let big = run.check("big");
    assert_eq!(big["status"], "ok", "{big}");
    // Every record came back: the truncated UDP answer held fewer.
    assert_eq!(big["metrics"]["answers"], BIG_TXT_RECORDS as f64, "{big}");
}

#[test]
fn dns_refused_port_and_a_silent_server_that_ends_at_the_timeout() {
    // Nothing on the port: the kernel answers with ICMP port unreachable.
    let closed = {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().port()
    };
    // Bound and read from by nobody: questions arrive and are never answered.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let run = JsonRun::checks(&[
        ("refused", &format!("dns: {{name: www.example.test, server: \"127.0.0.1:{closed}\"}}")),
        ("silent", &format!("timeout: 1500ms\ndns: {{name: www.example.test, server: \"127.0.0.1:{silent_port}\"}}")),
    ]);
    assert_eq!(run.check("refused")["status"], "critical", "{}", run.json);
    assert_eq!(run.message("refused"), format!("127.0.0.1:{closed}: connection refused (no DNS server on that port)"));
    assert_eq!(run.check("silent")["status"], "critical", "{}", run.json);
    assert_eq!(run.message("silent"), "timed out after 1.5s", "{}", run.json);
    // Checks run in parallel: the run lasts about the silent check's timeout.
    assert!(run.elapsed < Duration::from_millis(4500), "took {:?}", run.elapsed);
    // The question was sent again while no answer came (each second).
    let mut buffer = [0u8; 512];
    silent.set_nonblocking(true).unwrap();
    let mut received = 0;
    while silent.recv(&mut buffer).is_ok() {
        received += 1;
    }
    assert!(received >= 2, "the server got {received} questions");
}

/// A DNS server that answers from a fixed table, whatever is right: a UDP socket on
/// 127.0.0.1 answering in a thread until the test ends. What it says for each name:
/// `unrelated.x.test` only a record of `evil.example`; `chain.x.test` a CNAME chain to an
/// address, with a stray address for another name besides.
struct FakeDns {
    port: u16,
}

impl FakeDns {
    fn start() -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1500];
            while let Ok((length, from)) = socket.recv_from(&mut buffer) {
                if let Some(reply) = fake_answer(&buffer[..length]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        FakeDns { port }
    }

    fn ask(&self, fields: &str) -> String {
        format!("dns: {{server: \"127.0.0.1:{}\", {fields}}}", self.port)
    }
}

/// A name in DNS wire form.
fn wire_name(name: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> =
        name.split('.').flat_map(|label| [&[label.len() as u8], label.as_bytes()].concat()).collect();
    bytes.push(0);
    bytes
}

/// A resource record of class IN: owner, type (1 = A, 5 = CNAME), data.
fn record(owner: &str, kind: u16, data: &[u8]) -> Vec<u8> {
    let mut bytes = wire_name(owner);
    bytes.extend_from_slice(&kind.to_be_bytes());
    bytes.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    bytes.extend_from_slice(&(data.len() as u16).to_be_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// The reply to a query: its id and question, and the table's records for the name.
fn fake_answer(query: &[u8]) -> Option<Vec<u8>> {
    let mut end = 12;
    let mut labels = Vec::new();
    while *query.get(end)? != 0 {
        let length = usize::from(query[end]);
        labels.push(String::from_utf8_lossy(query.get(end + 1..end + 1 + length)?).to_lowercase());
        end += 1 + length;
    }
    let question = query.get(12..end + 5)?;
    let qtype = u16::from_be_bytes([query[end + 1], query[end + 2]]);
    let name = labels.join(".");
    let records = match name.as_str() {
        "unrelated.x.test" => vec![record("evil.example", 1, &[9, 9, 9, 9])],
        "chain.x.test" => {
            let mut records =
                vec![record(&name, 5, &wire_name("c1.x.test")), record("c1.x.test", 5, &wire_name("c2.x.test"))];
            if qtype == 1 {
                records.push(record("c2.x.test", 1, &[1, 2, 3, 4]));
                records.push(record("other.x.test", 1, &[6, 6, 6, 6]));
            }
            records
        }
        _ => Vec::new(),
    };
    let mut reply = query[..2].to_vec();
    reply.extend_from_slice(&[0x81, 0x80, 0, 1]);
    reply.extend_from_slice(&(records.len() as u16).to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(question);
    reply.extend(records.concat());
    Some(reply)
}

#[test]
fn dns_counts_only_records_of_the_question_name_and_its_cname_chain() {
    let server = FakeDns::start();
    let checks = [
        ("unrelated", server.ask("name: unrelated.x.test, expect: {contains: [9.9.9.9]}")),
        ("chain", server.ask("name: chain.x.test")),
        ("chain-stray", server.ask("name: chain.x.test, expect: {contains: [6.6.6.6]}")),
        ("cname", server.ask("name: chain.x.test, type: CNAME")),
    ];
    let run = JsonRun::checks(&checks);
    assert_eq!(run.check("unrelated")["status"], "critical", "{}", run.json);
    assert!(run.message("unrelated").starts_with("no A record; no answer `9.9.9.9`"), "{}", run.json);
    assert_eq!(run.check("unrelated")["metrics"]["answers"], 0.0);
    assert_eq!(run.check("chain")["status"], "ok", "{}", run.json);
    assert!(run.message("chain").ends_with("ms: 1.2.3.4"), "{}", run.json);
    assert_eq!(run.check("chain")["metrics"]["answers"], 1.0);
    assert_eq!(run.check("chain-stray")["status"], "critical", "{}", run.json);
    assert!(run.message("cname").ends_with("ms: c1.x.test"), "{}", run.json);
    assert_eq!(run.check("cname")["metrics"]["answers"], 1.0, "{}", run.json);
}
