//! The HTTP listener of `metrics-listen` (off by default): `/metrics`,
//! `/healthz`, `/readyz`, `/status.json`. HTTP/1.1 only, on `hyper` (the
//! HTTP implementation under axum and reqwest, used bare: four fixed paths
//! need no router), on the process's one tokio runtime.
//!
//! Every answer reads the published view, made current first
//! ([`Shared::current_view`]) as a client query does; only `/healthz` and
//! the CKQUORUM verdicts of `/metrics` go through the actor.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tracing::{debug, warn};

use super::health;
use super::metrics::{self, CkQuorum, Counters};
use crate::core::AdminCommand;
use crate::resp::Frame;
use crate::server::Shared;

/// How long a client may take to send its request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a scrape waits for the core's CKQUORUM verdicts.
const CKQUORUM_WITHIN: Duration = Duration::from_secs(2);

/// HTTP connections served at once (scrapers and probes are few; more are
/// closed at once rather than queued).
const MAX_CONNECTIONS: usize = 64;

/// What the endpoints need besides the shared state.
#[derive(Debug)]
pub struct Endpoints {
    /// The process's shared state (view, actor queues, clock).
    pub shared: Arc<Shared>,
    /// The failover counters, fed by [`metrics::count_events`].
    pub counters: Arc<Counters>,
    /// The config file's directory, checked by `/healthz`.
    pub config_dir: PathBuf,
}

/// Binds `addr` (`host:port`; a host name is resolved, every address it
/// leads to is tried in turn).
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("metrics-listen {addr}: can't bind: {e}"))
    })
}

/// Serves HTTP on `listener` until shutdown.
pub async fn run(listener: TcpListener, endpoints: Arc<Endpoints>) {
    let mut shutdown = endpoints.shared.shutdown.subscribe();
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                warn!(cause = %e, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            debug!(%peer, "metrics: refused, {MAX_CONNECTIONS} connections already");
            continue;
        };
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let endpoints = endpoints.clone();
                async move { Ok::<_, Infallible>(answer(&endpoints, req).await) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                debug!(%peer, cause = %e, "metrics: connection ended");
            }
            drop(permit);
        });
    }
}

/// The answer to one request.
async fn answer(endpoints: &Endpoints, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n".into());
    }
    let shared = &endpoints.shared;
    match req.uri().path() {
        "/metrics" => {
            shared.current_view().await;
            let view = shared.view.load_full();
            let mut ckquorum: BTreeMap<String, CkQuorum> = BTreeMap::new();
            let ask = async {
                for m in view.masters.iter() {
                    let name = m.instance.name.clone();
                    let command = AdminCommand::CkQuorum { name: name.clone() };
                    let verdict = match shared.ask_core(command).await {
                        Frame::Simple(t) => (true, t),
                        Frame::Error(t) => (false, t),
                        _ => continue,
                    };
                    ckquorum.insert(name, verdict);
                }
            };
            // A core that does not answer costs the CKQUORUM series (the
            // masters it had no time for), not the scrape.
            if tokio::time::timeout(CKQUORUM_WITHIN, ask).await.is_err() {
                warn!("metrics: the core did not answer CKQUORUM within {CKQUORUM_WITHIN:?}");
            }
            let body = metrics::render(&view, shared.clock.now(), &ckquorum, &endpoints.counters);
            respond(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                body,
            )
        }
        "/healthz" => {
            let mut problems = Vec::new();
            if !super::supervise::actor_answers(&shared.view_refresh, health::ALIVE_WITHIN).await {
                problems.push(format!("the core did not answer within {:?}", health::ALIVE_WITHIN));
            }
            let dir = endpoints.config_dir.clone();
            match tokio::task::spawn_blocking(move || health::dir_writable(&dir)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => problems.push(e),
                Err(e) => problems.push(format!("config directory check failed: {e}")),
            }
            verdict(problems, "alive")
        }
        "/readyz" => {
            shared.current_view().await;
            let view = shared.view.load();
            verdict(health::readiness(&view, shared.clock.now()).err().unwrap_or_default(), "ready")
        }
        "/status.json" => {
            shared.current_view().await;
            let view = shared.view.load();
            let body = health::status_json(&view, shared.clock.now()).to_string() + "\n";
            respond(StatusCode::OK, "application/json", body)
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: try /metrics, /healthz, /readyz, /status.json\n".into(),
        ),
    }
}

/// 200 and `good` when there are no problems, else 503 and one per line.
fn verdict(problems: Vec<String>, good: &str) -> Response<Full<Bytes>> {
    if problems.is_empty() {
        text(StatusCode::OK, format!("{good}\n"))
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, problems.join("\n") + "\n")
    }
}

/// A plain-text answer.
fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", body)
}

/// An answer with this status, content type and body.
fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}
