//! The connection loop under the router: HTTP/1.1 over hyper, with the limits `axum::serve`
//! does not have.
//!
//! - **Connection cap** (`max_connections`): a connection is accepted only while fewer are
//!   open. Beyond the cap the service stops calling `accept`: new connections wait in the
//!   kernel's listen backlog, are not refused, and are served once another closes (a client
//!   whose connect times out first sees a timeout; when the backlog too is full the kernel
//!   drops further connection attempts).
//! - **Header-read timeout** (`header_read_timeout_secs`): from a new connection's accept, or
//!   from the first byte of a later request, the request head must be complete within this
//!   time; else the connection is closed without an answer (a slow-header client holds a
//!   connection for this long at most).
//! - **Idle timeout** (`idle_timeout_secs`): a keep-alive connection on which nothing was
//!   read or written for this long between requests is closed. A request being handled is
//!   never cut by these two; its bound is the request timeout (`request_timeout_secs`).
//!
//! hyper's own `header_read_timeout` starts whenever a connection waits for a head, also
//! while it idles between requests, so it cannot tell the two apart; hence this small
//! watchdog per connection, fed by a wrapper around the socket that notes reads and writes
//! and by the service that notes requests in flight (hand-written: no crate offers it).
//! HTTP/2 is not served (browsers speak it only over TLS, which a proxy in front ends).
//! Every request carries `ConnectInfo<SocketAddr>` (the rate limits key on it), and sockets
//! have `TCP_NODELAY`. A shutdown stops accepting, closes idle connections and lets requests
//! in flight finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use super::Shared;

/// Settings `header_read_timeout_secs`, `idle_timeout_secs`, `max_connections`.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ConnectionSettings,
    state: Shared,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let settings = Arc::new(settings);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        state.metrics.connection_opened();
        let watcher = graceful.watcher();
        let (app, settings, state) = (app.clone(), settings.clone(), state.clone());
        tokio::spawn(async move {
            let how = serve_connection(tcp, peer, app, &settings, watcher).await;
            state.metrics.connection_closed(how);
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors of `accept` that concern one connection are skipped; others (out of file
/// descriptors) are logged and retried after a pause, as `axum::serve` does.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves one connection until it ends or a timeout closes it; says which.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    settings: &ConnectionSettings,
    watcher: hyper_util::server::graceful::Watcher,
) -> &'static str {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: tcp,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&requests);
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let _in_flight = in_flight;
            tower::ServiceExt::oneshot(app, req).await
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // The watchdog below times heads and idle spells; hyper's timer cannot tell them apart.
        .header_read_timeout(None)
        .serve_connection(io, service);
    let conn = watcher.watch(conn);
    tokio::select! {
        r = conn => {
            if let Err(e) = r {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            "closed"
        }
        why = activity.watchdog(settings) => {
            tracing::debug!(%peer, why, "connection closed by the service");
            why
        }
    }
}

/// What a connection's watchdog knows: times in milliseconds since the connection began.
struct Activity {
    began: Instant,
    /// The last read or write of at least one byte.
    last_io: AtomicU64,
    /// When the head now being read began ([`NO_HEAD`]: none is).
    head_began: AtomicU64,
    in_flight: AtomicUsize,
    changed: Notify,
}

const NO_HEAD: u64 = u64::MAX;

impl Activity {
    fn new() -> Activity {
        Activity {
            began: Instant::now(),
            last_io: AtomicU64::new(0),
            // A new connection owes its first head from the start.
            head_began: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.began + Duration::from_millis(ms)
    }

    fn read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        // Bytes while no request is in flight begin the next head.
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_began
                .compare_exchange(NO_HEAD, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }

    /// Resolves when a limit closes the connection, naming it.
    async fn watchdog(&self, s: &ConnectionSettings) -> &'static str {
        loop {
            let deadline = if self.in_flight.load(Ordering::Acquire) > 0 {
                None
            } else {
                match self.head_began.load(Ordering::Acquire) {
                    NO_HEAD => Some((
                        self.at(self.last_io.load(Ordering::Relaxed)) + s.idle_timeout,
                        "idle_timeout",
                    )),
                    began => Some((self.at(began) + s.header_read_timeout, "header_timeout")),
                }
            };
            match deadline {
                None => self.changed.notified().await,
                Some((at, why)) => {
                    if Instant::now() >= at {
                        return why;
                    }
                    tokio::select! {
                        () = self.changed.notified() => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
            }
        }
    }
}

/// A request in flight on a connection, from its complete head to its response's head.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        a.head_began.store(NO_HEAD, Ordering::Release);
        a.changed.notify_one();
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_io.store(a.now(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
        a.changed.notify_one();
    }
}

/// The socket, noting its reads and writes in the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
