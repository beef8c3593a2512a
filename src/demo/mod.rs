//! `scopegate demo`: a self-contained tour of the gateway on the bundled example.
//!
//! It loads `config/scopegate.toml` with its lists, starts a real recording FHIR upstream, a
//! real ES256 token issuer whose JWKS is served over HTTP, and the gateway itself, all on
//! free 127.0.0.1 ports; then sends a scripted set of requests and prints, per request, the
//! status, the reason and what the upstream received. The gateway's clock is set to
//! 2026-12-03 12:00 (Amsterdam), the day the example's GLGs are written for, so the tour
//! shows the same thing on any date. The audit trail goes to a temporary folder and its hash
//! chain is verified at the end. Exit 0 when every row behaved as expected.

pub mod stub;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit;
use crate::clock::Clock;
use crate::config::{self, Source};
use crate::gateway::{self, StartOptions};
use crate::token::Issuer;
use stub::{Received, RecordingUpstream, StaticServer};

/// The instant the example config describes: 2026-12-03 12:00 in Amsterdam.
pub const DEMO_NOW: &str = "2026-12-03T11:00:00Z";

const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";
const THIRD_DVP: &str = "medmij.gezondheidskluis.nl";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot find the bundled example config (looked for {0})")]
    NoConfig(String),
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("cannot start a demo server: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot start the gateway: {0}")]
    Start(#[from] gateway::StartError),
    #[error("cannot create the demo token issuer: {0}")]
    Issuer(#[from] crate::token::IssuerError),
    #[error("demo request failed: {0}")]
    Http(#[from] reqwest::Error),
}

/// How a scripted request presents its token.
enum Token {
    Valid,
    Forged,
    Expired,
    None,
}

struct Step {
    what: &'static str,
    client: &'static str,
    scope: &'static str,
    url: &'static str,
    token: Token,
    /// Extra header the client sends.
    spoof: Option<(&'static str, &'static str)>,
    expect_status: u16,
    expect_reason: Option<&'static str>,
    /// For allowed requests: the X-MedMij-Gegevensdienst the upstream must see.
    expect_effective: Option<&'static str>,
}

fn script() -> Vec<Step> {
    vec![
        Step {
            what: "GLG DVP reads the copy service 9051",
            client: GLG_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/MedicationStatement?_count=1",
            token: Token::Valid,
            spoof: None,
            expect_status: 200,
            expect_reason: None,
            expect_effective: Some("51"),
        },
        Step {
            what: "non-GLG DVP asks for the copy service",
            client: OTHER_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/MedicationStatement",
            token: Token::Valid,
            spoof: None,
            expect_status: 403,
            expect_reason: Some("copy_service_not_glg_dvp"),
            expect_effective: None,
        },
        Step {
            what: "original service 51 at another ZA",
            client: OTHER_DVP,
            scope: "ziekenhuisamstelland~51",
            url: "https://fhir.ziekenhuisamstelland.nl/medmij/medicatie/MedicationStatement",
            token: Token::Valid,
            spoof: Some(("X-MedMij-Gegevensdienst", "9051")),
            expect_status: 200,
            expect_reason: None,
            expect_effective: Some("51"),
        },
        Step {
            what: "normal service 49 of a third ZA",
            client: THIRD_DVP,
            scope: "huisartsenpraktijkdevries~49",
            url: "https://medmij.huisartsenpraktijkdevries.nl/fhir/hag/Observation",
            token: Token::Valid,
            spoof: None,
            expect_status: 200,
            expect_reason: None,
            expect_effective: Some("49"),
        },
        Step {
            what: "copy service 9048 of the ended GLG",
            client: GLG_DVP,
            scope: "ziekenhuisamstelland~9048",
            url: "https://fhir.ziekenhuisamstelland.nl/medmij/glg-bgz/Patient",
            token: Token::Valid,
            spoof: None,
            expect_status: 403,
            expect_reason: Some("glg_not_active"),
            expect_effective: None,
        },
        Step {
            what: "ZA on the ZAL, not served by this DVZA",
            client: GLG_DVP,
            scope: "radiologencentraalflevoland~4",
            url: "https://medmij.za983.xisbridge.net/fhir/ImagingStudy",
            token: Token::Valid,
            spoof: None,
            expect_status: 403,
            expect_reason: Some("provider_not_served"),
            expect_effective: None,
        },
        Step {
            what: "token signed by a forged key",
            client: GLG_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            token: Token::Forged,
            spoof: None,
            expect_status: 401,
            expect_reason: Some("token_invalid"),
            expect_effective: None,
        },
        Step {
            what: "expired token",
            client: GLG_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            token: Token::Expired,
            spoof: None,
            expect_status: 401,
            expect_reason: Some("token_expired"),
            expect_effective: None,
        },
        Step {
            what: "no token at all",
            client: GLG_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            token: Token::None,
            spoof: None,
            expect_status: 401,
            expect_reason: Some("token_missing"),
            expect_effective: None,
        },
    ]
}

/// The bundled example: `config/scopegate.toml` in the working directory, else in the source
/// tree this binary was built from.
fn example_config() -> Result<PathBuf, DemoError> {
    let here = PathBuf::from(crate::cli::DEFAULT_CONFIG);
    if here.is_file() {
        return Ok(here);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::cli::DEFAULT_CONFIG);
    if built.is_file() {
        return Ok(built);
    }
    Err(DemoError::NoConfig(format!(
        "{} and {}",
        here.display(),
        built.display()
    )))
}

/// Points an upstream URL at the stub, keeping its path.
fn to_stub(url: &mut url::Url, stub: std::net::SocketAddr) {
    // Both setters only fail for URLs without a host, which config validation excludes.
    let _ = url.set_ip_host(stub.ip());
    let _ = url.set_port(Some(stub.port()));
}

/// Runs the tour and prints its table; 0 when every row behaved as expected.
pub async fn run(out: &mut impl Write) -> Result<u8, DemoError> {
    let path = example_config()?;
    let mut config = config::load(&path)?;
    let now: DateTime<Utc> = DEMO_NOW.parse().unwrap_or_else(|_| Utc::now());
    let clock = Clock::starting_at(now);

    let upstream = RecordingUpstream::start().await?;
    let issuer = Issuer::generate(&config.tokens.issuer, "demo-2026")?;
    let forger = Issuer::generate(&config.tokens.issuer, "demo-2026")?;
    let jwks = StaticServer::start("application/json", issuer.jwks_json()).await?;
    let audit_dir = std::env::temp_dir().join(format!("scopegate-demo-{}", std::process::id()));
    let audit_path = audit_dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&audit_path);

    config.server.listen = "127.0.0.1:0".parse().map_err(std::io::Error::other)?;
    config.server.admin_listen = "127.0.0.1:0".parse().map_err(std::io::Error::other)?;
    config.tokens.jwks = Some(Source::Url(
        jwks.url("/jwks.json")
            .parse()
            .map_err(std::io::Error::other)?,
    ));
    config.audit.path = audit_path.clone();
    for p in &mut config.providers {
        to_stub(&mut p.upstream, upstream.addr);
        for u in p.services.values_mut() {
            to_stub(u, upstream.addr);
        }
    }

    let running = gateway::start(
        config.clone(),
        StartOptions {
            clock: clock.clone(),
            ..StartOptions::default()
        },
    )
    .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;

    writeln!(
        out,
        "scopegate demo: gateway on {}, admin on {}, upstream stub on {}, JWKS on {}",
        running.addr, running.admin_addr, upstream.addr, jwks.addr
    )?;
    writeln!(
        out,
        "example config {}; clock set to {DEMO_NOW} (12:00 in Amsterdam)\n",
        path.display()
    )?;
    let who = |step: &Step| format!("{} / {}", short(step.client), step.scope);
    let steps = script();
    let who_width = steps.iter().map(|s| who(s).len()).max().unwrap_or(0);
    writeln!(
        out,
        "{:<2} {:<40} {:<who_width$} {:>6}  {:<26} upstream received",
        "#", "request", "client / scope", "status", "reason"
    )?;

    let mut failures = 0;
    for (i, step) in steps.iter().enumerate() {
        let url: url::Url = step.url.parse().map_err(std::io::Error::other)?;
        let target = format!(
            "http://{}{}{}",
            running.addr,
            url.path(),
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        );
        let iat = clock.unix();
        let claims = |exp: i64| {
            json!({
                "iss": config.tokens.issuer,
                "aud": config.tokens.audience.clone().unwrap_or_default(),
                "sub": format!("patient-{}", i + 1),
                "client_id": step.client,
                "scope": step.scope,
                "iat": iat,
                "exp": exp,
            })
        };
        let mut req = client
            .get(&target)
            .header("host", url.host_str().unwrap_or_default())
            .header("medmij-request-id", format!("demo-{}", i + 1));
        req = match step.token {
            Token::Valid => req.bearer_auth(issuer.sign(&claims(iat + 3600))),
            Token::Forged => req.bearer_auth(forger.sign(&claims(iat + 3600))),
            Token::Expired => req.bearer_auth(issuer.sign(&claims(iat - 3600))),
            Token::None => req,
        };
        if let Some((name, value)) = step.spoof {
            req = req.header(name, value);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        let reason = body["issue"][0]["diagnostics"]
            .as_str()
            .and_then(|d| d.split(':').next())
            .map(str::to_owned);
        let received = upstream.take();
        let ok = status == step.expect_status
            && reason.as_deref() == step.expect_reason
            && match step.expect_effective {
                Some(eff) => {
                    received.len() == 1
                        && received[0].header("x-medmij-gegevensdienst") == Some(eff)
                }
                None => received.is_empty(),
            };
        if !ok {
            failures += 1;
        }
        writeln!(
            out,
            "{:<2} {:<40} {:<who_width$} {:>6}  {:<26} {}{}",
            i + 1,
            step.what,
            who(step),
            status,
            reason.as_deref().unwrap_or("-"),
            describe(&received),
            if ok { "" } else { "   <-- NOT AS EXPECTED" }
        )?;
    }

    running.shutdown().await;
    let verified = audit::verify(&audit_path);
    writeln!(out)?;
    match &verified {
        Ok(report) => writeln!(
            out,
            "audit trail {}: {} records, hash chain intact",
            audit_path.display(),
            report.records
        )?,
        Err(e) => {
            failures += 1;
            writeln!(out, "audit trail {}: {e}", audit_path.display())?;
        }
    }
    if failures == 0 {
        writeln!(out, "every request behaved as expected")?;
        Ok(0)
    } else {
        writeln!(out, "{failures} row(s) did not behave as expected")?;
        Ok(1)
    }
}

fn short(client: &str) -> &str {
    client.split('.').find(|l| *l != "medmij").unwrap_or(client)
}

fn describe(received: &[Received]) -> String {
    match received {
        [] => "nothing".to_owned(),
        [r] => {
            let mut s = format!(
                "{} {} gegevensdienst={}",
                r.method,
                r.target,
                r.header("x-medmij-gegevensdienst").unwrap_or("?")
            );
            if let Some(g) = r.header("x-medmij-glg") {
                s.push_str(&format!(
                    " glg={g} kopie={}",
                    r.header("x-medmij-kopie-gegevensdienst").unwrap_or("?")
                ));
            }
            s
        }
        many => format!("{} requests", many.len()),
    }
}
