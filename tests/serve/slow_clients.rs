//! Slow and half-open clients (issue 23, item 3): a client that sends half a request line is
//! closed after `--header-timeout`; past `--max-connections` a client waits until a slot frees;
//! and SIGTERM ends the process within `--shutdown-timeout` even while a client holds half a
//! request line open (with `axum::serve` it kept the process alive: hyper waits for that
//! request's end, and no header timer was set).
//! The engine does not matter here: OpenSearch only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sembridge::engines::EngineKind;

use super::{QUERY, ServeProcess, ingest_head, query_string};
use crate::support;

fn half_request(url: &str) -> TcpStream {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /sea").unwrap();
    s
}

/// Whether the server closed `s` within `within` (read returns 0 or an error).
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(0) => true,
        // An error answer (408) followed by the close counts as closed too.
        Ok(_) => matches!(s.read(&mut buf), Ok(0) | Err(_)),
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_bounds_slow_clients() {
    let (engine, info) = support::connect(EngineKind::OpenSearch).await;
    let (index, _dir) = ingest_head(&info.url, "serve-slow-clients", 20);

    // Header timeout and connection cap.
    let server = ServeProcess::start(
        &info.url,
        &index,
        &["--header-timeout", "3", "--max-connections", "2"],
    );
    let search = format!(
        "{}/search?{}",
        server.url,
        query_string(&[("q", QUERY), ("mode", "bm25")])
    );
    let opened = Instant::now();
    let mut holders = vec![half_request(&server.url), half_request(&server.url)];
    std::thread::sleep(Duration::from_millis(300));
    // Both slots are held: this request waits until the header timeout frees one.
    let (status, answer) = super::get(&search).await;
    let waited = opened.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(
        waited >= Duration::from_millis(2500),
        "answered after {waited:?}: the 2 held connections did not hold it back"
    );
    for s in &mut holders {
        assert!(
            closed_within(s, Duration::from_secs(10)),
            "a half-sent request line still open {:?} after it was sent",
            opened.elapsed()
        );
    }
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");

    // SIGTERM with half a request line open: the process ends within the deadline.
    let server = ServeProcess::start(
        &info.url,
        &index,
        &["--header-timeout", "120", "--shutdown-timeout", "2"],
    );
    let _holder = half_request(&server.url);
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (code, err) = tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(code, Some(0), "{err}");
    assert!(took < Duration::from_secs(12), "stopped after {took:?}");
    assert!(err.contains("--shutdown-timeout"), "{err}");
    engine.delete_index(&index).await.unwrap();
}
