//! One-host claim latency on PostgreSQL (issue 14: "claim latency p99, goal ≤ 5 ms on
//! loopback"): three threads, as three daemons would, each claim a fire through the Store
//! API (`claim_fire`) and finish it (`finish_claim`); every claim is timed on its own.
//! Each fire is claimed by all three (one takes it, two find it held), as a fleet does.
//!
//! The database is a fresh one on the machine's PostgreSQL (127.0.0.1:5432, user
//! postgres, or `RUNNER_BENCH_POSTGRES`), dropped after.
//!
//! `cargo bench --bench claims` prints p50/p99/max. Under `cargo test --all-targets` it
//! runs a few fires only, so that it cannot rot.

use std::time::{Duration, Instant};

use runner::store::postgres::Location;

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let fires: i64 = if quick { 20 } else { 2_000 };
    let server =
        std::env::var("RUNNER_BENCH_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server = Location::parse(&server).expect("a postgres:// URL");
    let name = format!("runner_bench_claims_{}", std::process::id());
    let mut admin = server.connect_admin().expect("PostgreSQL answers");
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("a fresh database");
    let location = server.with_database(&name);

    let timings: Vec<Duration> = std::thread::scope(|scope| {
        let hosts: Vec<_> = ["bench-a", "bench-b", "bench-c"]
            .into_iter()
            .map(|host| {
                let location = location.clone();
                scope.spawn(move || {
                    let store = runner::store::open_shared(&location, host).expect("the store opens");
                    let mut timings = Vec::with_capacity(fires as usize);
                    for fire in 0..fires {
                        let fire_ms = 1_700_000_000_000 + fire * 1_000;
                        let now = fire_ms + 1;
                        let started = Instant::now();
                        let claim = store.claim_fire("bench", fire_ms, host, now, 5_000).expect("a claim");
                        timings.push(started.elapsed());
                        if claim == runner::store::fleet::Claim::Taken {
                            store.finish_claim("bench", fire_ms, host, now + 2).expect("finished");
                        }
                    }
                    timings
                })
            })
            .collect();
        hosts.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));

    let mut sorted = timings.clone();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
    println!(
        "claims: {} claims by 3 hosts over {fires} fires: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        sorted[sorted.len() - 1].as_secs_f64() * 1e3
    );
}
