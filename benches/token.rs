//! Token validation cost, with and without the verified-token cache (ES256, JWKS from a file).
//!
//! Quick run: `cargo bench --bench token -- --warm-up-time 1 --measurement-time 2`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::config::{Source, TokenMode, Tokens};
use scopegate::token::{Issuer, TokenValidator};
use serde_json::json;

const ISS: &str = "https://auth.dvza.example.nl";
const NOW: i64 = 1_800_000_000;

fn tokens(jwks: Source) -> Tokens {
    Tokens {
        mode: TokenMode::Jwt,
        issuer: ISS.to_owned(),
        audience: Some("scopegate".to_owned()),
        algorithms: vec![
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::Algorithm::RS256,
        ],
        jwks: Some(jwks),
        leeway: Duration::from_secs(30),
        scope_claim: "scope".to_owned(),
        client_claim: "client_id".to_owned(),
        forward_authorization: true,
        introspection: None,
    }
}

fn bench_validate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = Issuer::generate(ISS, "bench-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, issuer.jwks_json()).unwrap();
    let token = issuer.sign(&json!({
        "iss": ISS,
        "aud": "scopegate",
        "exp": NOW + 3_600,
        "iat": NOW,
        "client_id": "medmij.deenigeechtepgo.nl",
        "scope": "umcharderwijk~48",
        "sub": "patient-0001",
    }));

    let http = scopegate::token::http_client(Duration::from_secs(1)).unwrap();
    let build = |cache: bool| {
        rt.block_on(TokenValidator::new(
            &tokens(Source::File(path.clone())),
            http.clone(),
        ))
        .unwrap()
        .with_cache(cache)
    };
    let cached = build(true);
    let uncached = build(false);

    let mut group = c.benchmark_group("token_validate_es256");
    group.bench_function("cache_hit", |b| {
        b.iter(|| rt.block_on(cached.validate(&token, NOW)).unwrap())
    });
    group.bench_function("no_cache", |b| {
        b.iter(|| rt.block_on(uncached.validate(&token, NOW)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
