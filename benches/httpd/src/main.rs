//! `bench-httpd [DELAY_MS]`: prints the port it listens on (127.0.0.1), then answers
//! every HTTP/1.1 request with `200 ok` after DELAY_MS milliseconds, keeping connections
//! alive. Used by benches/run.sh.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let delay: u64 = std::env::args().nth(1).and_then(|d| d.parse().ok()).unwrap_or(0);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("{}", listener.local_addr().expect("address").port());
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 8192];
            let mut filled = 0;
            loop {
                let Ok(n) = stream.read(&mut buffer[filled..]).await else { return };
                if n == 0 {
                    return;
                }
                filled += n;
                // One request per header block (the benchmarks send no bodies).
                while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                    buffer.copy_within(end + 4..filled, 0);
                    filled -= end + 4;
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
                    if stream.write_all(reply).await.is_err() {
                        return;
                    }
                }
                if filled == buffer.len() {
                    return;
                }
            }
        });
    }
}
