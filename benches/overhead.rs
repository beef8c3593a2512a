//! The gateway's overhead against a direct connection to the same upstream (issue 3; the
//! figures of the README's performance section).
//!
//! In this process: a lean upstream (hyper HTTP/1.1, keep-alive, one fixed small FHIR JSON
//! `200`, nothing recorded) and a closed-loop load generator (N keep-alive connections, each
//! sending the same GET back to back). The gateway runs as its own process: the release
//! binary with `serve --config <temp config>`, the bundled example with ports 0, every
//! upstream pointed at the lean one, the JWKS in a temp file holding the public key of an
//! in-bench [`Issuer`], and the audit trail in a temp folder. The token cache is switched off
//! with the hidden `SCOPEGATE_TOKEN_CACHE=off` of `scopegate serve`.
//!
//! Every request is the same allowed, non-GLG request (so it passes on any date): client
//! `pgocluster68.personalhealthprovider.net`, scope `ziekenhuisamstelland~51`, Host
//! `fhir.ziekenhuisamstelland.nl`, path `/medmij/medicatie/MedicationStatement`; the direct
//! runs send it straight to the upstream. Any answer other than `200`, and any connection
//! error, fails the bench. Ratios are only meaningful within one run.
//!
//! Run: `cargo bench --bench overhead` (each scenario measures `SCOPEGATE_BENCH_SECS`, default
//! 5, after a 1 s warm-up; the whole run takes about 1.5 minutes at the default).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scopegate::token::Issuer;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinSet;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const BODY: &[u8] = br#"{"resourceType":"Bundle","type":"searchset","total":0}"#;
const HOST_NAME: &str = "fhir.ziekenhuisamstelland.nl";
const PATH: &str = "/medmij/medicatie/MedicationStatement";
const CLIENT: &str = "pgocluster68.personalhealthprovider.net";
const SCOPE: &str = "ziekenhuisamstelland~51";
const WARMUP: Duration = Duration::from_secs(1);
const CONNECTION_COUNTS: [usize; 2] = [64, 1];

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("overhead: cannot build the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("overhead bench FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What one scenario measured.
struct Outcome {
    /// Latency of the `200`s sent in the measuring window, in microseconds.
    hist: Histogram<u64>,
    /// Every answer by status, warm-up included.
    statuses: BTreeMap<u16, u64>,
}

impl Outcome {
    fn new() -> Res<Outcome> {
        Ok(Outcome {
            hist: Histogram::new_with_bounds(1, 60_000_000, 3)?,
            statuses: BTreeMap::new(),
        })
    }

    fn merge(&mut self, other: &Outcome) -> Res<()> {
        self.hist.add(&other.hist)?;
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        Ok(())
    }

    fn non_200(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s != 200)
            .map(|(_, n)| n)
            .sum()
    }
}

/// One row of the table.
struct Row {
    name: String,
    conns: usize,
    requests: u64,
    rps: f64,
    p50: u64,
    p99: u64,
}

async fn run() -> Res<()> {
    let secs: u64 = match std::env::var("SCOPEGATE_BENCH_SECS") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("SCOPEGATE_BENCH_SECS={v} is not a whole number of seconds"))?,
        Err(_) => 5,
    };
    let measure = Duration::from_secs(secs);
    let load_before = loadavg();
    let dir = tempfile::tempdir()?;
    let upstream = lean_upstream().await?;

    let issuer = Issuer::generate("https://auth.dvza.example.nl", "bench-2026")?;
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, issuer.jwks_json())?;
    let now = chrono::Utc::now().timestamp();
    let token = issuer.sign(&json!({
        "iss": "https://auth.dvza.example.nl",
        "aud": "scopegate",
        "sub": "patient-bench",
        "client_id": CLIENT,
        "scope": SCOPE,
        "iat": now,
        "exp": now + 3600,
    }));
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))?;

    let mut rows = Vec::new();
    let mut direct = BTreeMap::new();
    for conns in CONNECTION_COUNTS {
        let row = scenario("direct", upstream, conns, &bearer, measure).await?;
        direct.insert(conns, (row.rps, row.p50, row.p99));
        rows.push(row);
    }
    for mode in ["durable", "buffered"] {
        for cache in [true, false] {
            let name = format!(
                "gateway, token cache {}, {mode} audit",
                if cache { "on" } else { "off" }
            );
            let tag = format!("{mode}-{}", if cache { "cache" } else { "nocache" });
            let config = gateway_config(dir.path(), &tag, upstream, &jwks, mode)?;
            let gw = GatewayProcess::start(&config, cache, &dir.path().join(format!("{tag}.log")))
                .await?;
            preflight(gw.addr, &bearer).await?;
            let mut allowed = 1;
            for conns in CONNECTION_COUNTS {
                let row = scenario(&name, gw.addr, conns, &bearer, measure).await?;
                allowed += row.requests;
                rows.push(row);
            }
            gw.stop().await?;
            let records = count_lines(&dir.path().join(format!("audit-{tag}.jsonl")))?;
            if records < allowed {
                return Err(format!(
                    "{name}: {records} audit records for at least {allowed} allowed requests"
                )
                .into());
            }
        }
    }
    // The same direct run again: how much the machine drifted during the run.
    rows.push(scenario("direct again (drift check)", upstream, 64, &bearer, measure).await?);

    let load_after = loadavg();
    print_table(&rows, &direct, secs, &load_before, &load_after);
    Ok(())
}

/// Runs one load and turns it into a row, failing on any answer but `200`.
async fn scenario(
    name: &str,
    target: SocketAddr,
    conns: usize,
    bearer: &HeaderValue,
    measure: Duration,
) -> Res<Row> {
    eprintln!("overhead: {name} @{conns} ...");
    let out = drive(target, conns, bearer, measure).await?;
    let bad = out.non_200();
    if bad > 0 {
        return Err(format!(
            "{name} @{conns}: {bad} answer(s) other than 200, by status: {:?}",
            out.statuses
        )
        .into());
    }
    let requests = out.hist.len();
    let row = Row {
        name: name.to_owned(),
        conns,
        requests,
        rps: requests as f64 / measure.as_secs_f64(),
        p50: out.hist.value_at_quantile(0.50),
        p99: out.hist.value_at_quantile(0.99),
    };
    eprintln!(
        "overhead: {name} @{conns}: {:.0} req/s, p50 {} µs, p99 {} µs",
        row.rps, row.p50, row.p99
    );
    Ok(row)
}

/// The closed loop: `conns` keep-alive connections, each sending the request back to back
/// for the warm-up and then `measure`; latencies are recorded for requests sent after the
/// warm-up.
async fn drive(
    target: SocketAddr,
    conns: usize,
    bearer: &HeaderValue,
    measure: Duration,
) -> Res<Outcome> {
    let record_from = Instant::now() + WARMUP;
    let end = record_from + measure;
    let mut tasks = JoinSet::new();
    for _ in 0..conns {
        tasks.spawn(one_connection(target, bearer.clone(), record_from, end));
    }
    let mut total = Outcome::new()?;
    while let Some(joined) = tasks.join_next().await {
        total.merge(&joined??)?;
    }
    Ok(total)
}

async fn one_connection(
    target: SocketAddr,
    bearer: HeaderValue,
    record_from: Instant,
    end: Instant,
) -> Res<Outcome> {
    let stream = TcpStream::connect(target).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let mut out = Outcome::new()?;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let req = Request::get(PATH)
            .header(HOST, HOST_NAME)
            .header(AUTHORIZATION, bearer.clone())
            .body(Empty::<Bytes>::new())?;
        sender.ready().await?;
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        resp.into_body().collect().await?;
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        *out.statuses.entry(status.as_u16()).or_default() += 1;
        if sent >= record_from && status == StatusCode::OK {
            out.hist.saturating_record(micros.max(1));
        }
    }
    drop(sender);
    driver.await??;
    Ok(out)
}

/// One request before measuring: a denial shows its reason here instead of a bare count.
async fn preflight(target: SocketAddr, bearer: &HeaderValue) -> Res<()> {
    let stream = TcpStream::connect(target).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let req = Request::get(PATH)
        .header(HOST, HOST_NAME)
        .header(AUTHORIZATION, bearer.clone())
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    drop(sender);
    driver.await??;
    if status != StatusCode::OK || body.as_ref() != BODY {
        return Err(format!(
            "the gateway did not pass the bench request: {status} {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    Ok(())
}

/// The lean upstream: every request gets the same small FHIR JSON `200`.
async fn lean_upstream() -> Res<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_req: Request<Incoming>| async {
                    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
                    resp.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/fhir+json"),
                    );
                    Ok::<_, Infallible>(resp)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// The bundled example with ports 0, absolute list paths, every upstream at `upstream`, the
/// JWKS file `jwks` and the audit trail `<dir>/audit-<tag>.jsonl` in `mode`.
fn gateway_config(
    dir: &Path,
    tag: &str,
    upstream: SocketAddr,
    jwks: &Path,
    mode: &str,
) -> Res<PathBuf> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/scopegate.toml");
    let base = example.parent().ok_or("the example config has no folder")?;
    let mut doc: toml::Table = std::fs::read_to_string(&example)?.parse()?;

    let server = table(&mut doc, "server")?;
    server.insert("listen".into(), "127.0.0.1:0".into());
    server.insert("admin_listen".into(), "127.0.0.1:0".into());
    let lists = table(&mut doc, "lists")?;
    for key in ["zal", "ocl", "whl", "gnl"] {
        if let Some(toml::Value::String(p)) = lists.get_mut(key) {
            *p = base.join(&*p).display().to_string();
        }
    }
    table(&mut doc, "tokens")?.insert("jwks".into(), jwks.display().to_string().into());
    let audit = table(&mut doc, "audit")?;
    let audit_path = dir.join(format!("audit-{tag}.jsonl"));
    audit.insert("path".into(), audit_path.display().to_string().into());
    audit.insert("mode".into(), mode.into());
    if let Some(toml::Value::Table(auth)) = doc.get_mut("authorization_server") {
        rebase(auth.get_mut("upstream"), upstream)?;
    }
    let Some(toml::Value::Array(providers)) = doc.get_mut("providers") else {
        return Err("the example config has no [[providers]]".into());
    };
    for provider in providers.iter_mut().filter_map(toml::Value::as_table_mut) {
        rebase(provider.get_mut("upstream"), upstream)?;
        if let Some(toml::Value::Table(services)) = provider.get_mut("services") {
            for (_, url) in services.iter_mut() {
                rebase(Some(url), upstream)?;
            }
        }
    }

    let path = dir.join(format!("scopegate-{tag}.toml"));
    std::fs::write(&path, toml::to_string(&doc)?)?;
    Ok(path)
}

fn table<'a>(doc: &'a mut toml::Table, key: &str) -> Res<&'a mut toml::Table> {
    doc.get_mut(key)
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| format!("the example config has no [{key}]").into())
}

/// Points an upstream URL at the lean upstream, keeping its path.
fn rebase(value: Option<&mut toml::Value>, upstream: SocketAddr) -> Res<()> {
    let Some(toml::Value::String(s)) = value else {
        return Ok(());
    };
    let mut url: url::Url = s.parse()?;
    url.set_ip_host(upstream.ip())
        .map_err(|()| format!("cannot set the host of {url}"))?;
    url.set_port(Some(upstream.port()))
        .map_err(|()| format!("cannot set the port of {url}"))?;
    *s = url.to_string();
    Ok(())
}

/// `scopegate serve` as a child process.
struct GatewayProcess {
    child: Child,
    addr: SocketAddr,
    /// Kept open: the gateway owns its stdout for the whole run.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl GatewayProcess {
    async fn start(config: &Path, cache: bool, log: &Path) -> Res<GatewayProcess> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopegate"));
        cmd.arg("serve")
            .arg("--config")
            .arg(config)
            .env_remove("RUST_LOG")
            .env_remove(scopegate::serve::TOKEN_CACHE_ENV)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .kill_on_drop(true);
        if !cache {
            cmd.env(scopegate::serve::TOKEN_CACHE_ENV, "off");
        }
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout from the gateway")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        let addr = match line {
            Ok(Ok(Some(line))) => line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .and_then(|a| a.parse().ok()),
            _ => None,
        };
        let Some(addr) = addr else {
            let _ = child.kill().await;
            let stderr = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("the gateway did not start:\n{stderr}").into());
        };
        Ok(GatewayProcess {
            child,
            addr,
            _stdout: lines,
        })
    }

    /// SIGTERM, so that the audit trail is flushed; SIGKILL if it does not stop in time.
    async fn stop(mut self) -> Res<()> {
        if let Some(pid) = self.child.id() {
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await?;
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                if !status.success() {
                    return Err(format!("the gateway exited with {status}").into());
                }
            }
            Err(_) => {
                self.child.kill().await?;
                return Err("the gateway did not stop within 30 s of SIGTERM".into());
            }
        }
        Ok(())
    }
}

fn count_lines(path: &Path) -> Res<u64> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.iter().filter(|b| **b == b'\n').count() as u64)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace();
            Some(format!("{} {} {}", it.next()?, it.next()?, it.next()?))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn print_table(
    rows: &[Row],
    direct: &BTreeMap<usize, (f64, u64, u64)>,
    secs: u64,
    load_before: &str,
    load_after: &str,
) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let command = if secs == 5 {
        "cargo bench --bench overhead".to_owned()
    } else {
        format!("SCOPEGATE_BENCH_SECS={secs} cargo bench --bench overhead")
    };
    println!();
    println!("command: `{command}`");
    println!(
        "{secs} s per scenario after a {} s warm-up; keep-alive HTTP/1.1, closed loop; \
         {cores} CPU(s); load average {load_before} before, {load_after} after",
        WARMUP.as_secs()
    );
    println!();
    println!(
        "| scenario | conns | requests | req/s | p50 µs | p99 µs | req/s vs direct | added p50 µs | added p99 µs |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (vs, add50, add99) = match direct.get(&row.conns) {
            Some((rps, p50, p99)) if !row.name.starts_with("direct") => (
                format!("{:.2}", row.rps / rps),
                format!("{:+}", row.p50 as i64 - *p50 as i64),
                format!("{:+}", row.p99 as i64 - *p99 as i64),
            ),
            Some((rps, _, _)) if row.name != "direct" => {
                (format!("{:.2}", row.rps / rps), "-".into(), "-".into())
            }
            _ => ("1.00".into(), "-".into(), "-".into()),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {vs} | {add50} | {add99} |",
            row.name, row.conns, row.requests, row.rps, row.p50, row.p99
        );
    }
}
