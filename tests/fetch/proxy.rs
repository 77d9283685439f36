//! A loopback TCP proxy that cuts the transfer: it forwards traffic to a
//! target until `budget` bytes have gone from the server to the client,
//! then closes every connection and refuses new ones, like a network that
//! drops mid-download.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

/// A running proxy; stops accepting when dropped.
pub struct CutProxy {
    /// Port to connect to instead of the target.
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// Bytes forwarded from the server so far.
    pub forwarded: Arc<AtomicU64>,
}

impl CutProxy {
    /// Proxy to `127.0.0.1:target`, cutting after `budget` response bytes.
    pub fn start(target: u16, budget: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let forwarded = Arc::new(AtomicU64::new(0));
        let (s, f) = (stop.clone(), forwarded.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                if f.load(Ordering::SeqCst) >= budget {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                // client -> server: unlimited.
                thread::spawn(move || pump(c2, s2, None));
                // server -> client: counted against the budget.
                let f = f.clone();
                thread::spawn(move || pump(server, client, Some((f, budget))));
            }
        });
        Self {
            port,
            stop,
            forwarded,
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, budget: Option<(Arc<AtomicU64>, u64)>) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut n = n;
        if let Some((f, b)) = &budget {
            let before = f.fetch_add(n as u64, Ordering::SeqCst);
            if before >= *b {
                break;
            }
            n = n.min((*b - before) as usize);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        if budget
            .as_ref()
            .is_some_and(|(f, b)| f.load(Ordering::SeqCst) >= *b)
        {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
