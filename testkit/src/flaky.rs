//! A fault-injecting HTTP proxy for the convergence tests and `offgrid demo`: between sync
//! clients and the server it drops requests, drops responses after the server committed, sends
//! requests twice, delays, truncates response bodies and answers 503, at random (seeded). Every
//! request is forwarded on its own connection with `Connection: close`, so responses end at
//! EOF. Not for production traffic.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the proxy did, for a report.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub forwarded: AtomicU64,
    pub dropped_requests: AtomicU64,
    pub dropped_responses: AtomicU64,
    pub duplicated: AtomicU64,
    pub delayed: AtomicU64,
    pub truncated: AtomicU64,
    pub errors_5xx: AtomicU64,
    /// Bytes of clean forwards, as on the wire (headers included): requests, responses.
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// Fault probability in percent (0: a clean link).
    pub fault_percent: Arc<AtomicU64>,
    pub counts: Arc<FaultCounts>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, seed: u64, fault_percent: u64) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let fault = Arc::new(AtomicU64::new(fault_percent));
        let counts = Arc::new(FaultCounts::default());
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        {
            let (stop, fault, counts) = (stop.clone(), fault.clone(), counts.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (fault, counts, rng) = (fault.clone(), counts.clone(), rng.clone());
                    std::thread::spawn(move || handle(conn, upstream, &fault, &counts, &rng));
                }
            });
        }
        Ok(Proxy {
            addr,
            fault_percent: fault,
            counts,
            stop,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one HTTP/1.1 request (headers + Content-Length body) and returns it with
/// `Connection: close` forced.
fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.is_empty() || line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut req = out.into_bytes();
    req.extend_from_slice(&buf[header_end..header_end + len]);
    Some(req)
}

fn forward(req: &[u8], upstream: SocketAddr) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(req).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    (!resp.is_empty()).then_some(resp)
}

const UNAVAILABLE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const BAD_GATEWAY: &[u8] =
    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

fn handle(
    mut conn: TcpStream,
    upstream: SocketAddr,
    fault: &AtomicU64,
    counts: &FaultCounts,
    rng: &Mutex<StdRng>,
) {
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let (roll, kind, delay_ms) = {
        let mut r = rng.lock().unwrap_or_else(|e| e.into_inner());
        (
            r.random_range(0..100u64),
            r.random_range(0..6u32),
            r.random_range(0..80u64),
        )
    };
    let faulty = roll < fault.load(Ordering::Relaxed);
    let kind = if faulty { Some(kind) } else { None };
    let c = |a: &AtomicU64| {
        a.fetch_add(1, Ordering::Relaxed);
    };
    match kind {
        Some(0) => {
            c(&counts.dropped_requests);
            let _ = conn.shutdown(Shutdown::Both);
        }
        Some(1) => {
            // The server commits; the client never hears.
            c(&counts.dropped_responses);
            let _ = forward(&req, upstream);
            let _ = conn.shutdown(Shutdown::Both);
        }
        Some(2) => {
            c(&counts.duplicated);
            let _ = forward(&req, upstream);
            let resp = forward(&req, upstream);
            let _ = conn.write_all(resp.as_deref().unwrap_or(BAD_GATEWAY));
        }
        Some(3) => {
            c(&counts.delayed);
            std::thread::sleep(Duration::from_millis(delay_ms));
            let resp = forward(&req, upstream);
            let _ = conn.write_all(resp.as_deref().unwrap_or(BAD_GATEWAY));
        }
        Some(4) => {
            c(&counts.truncated);
            if let Some(resp) = forward(&req, upstream) {
                let _ = conn.write_all(&resp[..resp.len() * 2 / 3]);
            }
            let _ = conn.shutdown(Shutdown::Both);
        }
        Some(_) => {
            c(&counts.errors_5xx);
            let _ = conn.write_all(UNAVAILABLE);
        }
        None => {
            c(&counts.forwarded);
            let resp = forward(&req, upstream);
            counts
                .bytes_up
                .fetch_add(req.len() as u64, Ordering::Relaxed);
            let resp = resp.as_deref().unwrap_or(BAD_GATEWAY);
            counts
                .bytes_down
                .fetch_add(resp.len() as u64, Ordering::Relaxed);
            let _ = conn.write_all(resp);
        }
    }
}

impl FaultCounts {
    /// Faults injected so far (everything but clean forwards).
    pub fn faults(&self) -> u64 {
        [
            &self.dropped_requests,
            &self.dropped_responses,
            &self.duplicated,
            &self.delayed,
            &self.truncated,
            &self.errors_5xx,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }
}
