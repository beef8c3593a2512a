//! Table tests for `decide`: every reason code of rows 5–13, both OCL forms, GLG traffic and
//! the normal traffic of other zorgaanbieders and other GLGs side by side.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::config::{self, Config};
use crate::glg::Glg;
use crate::lists::{
    ListHeader, OAuthClient, Ocl, Systeemrol, Volgnummer, Zal, ZalService, Zorgaanbieder,
};
use crate::snapshot::{ListSet, Snapshot};

const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";
/// Later OCL form, qualified for 51 and 9051 only.
const LISTED_DVP: &str = "pgo.gezondheidskluis.nl";
/// Later OCL form, qualified for 48 only.
const NARROW_DVP: &str = "app.kleinepgo.nl";

fn endpoint(uri: &str) -> EndpointUri {
    let rest = uri.strip_prefix("https://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p.parse().unwrap())),
        None => (authority, None),
    };
    EndpointUri {
        uri: uri.into(),
        host: host.into(),
        port,
        path: path.trim_end_matches('/').into(),
    }
}

fn service(id: &str, resource: &[&str]) -> ZalService {
    ZalService {
        id: id.into(),
        interfaceversie: None,
        authorization_endpoint: endpoint("https://auth.example.nl/oauth/authorize"),
        token_endpoint: endpoint("https://auth.example.nl/oauth/token"),
        systeemrollen: resource
            .iter()
            .enumerate()
            .map(|(i, r)| Systeemrol {
                code: format!("ROL-{i}").into(),
                resource_endpoint: endpoint(r),
            })
            .collect(),
    }
}

fn za(naam: &str, services: Vec<ZalService>) -> (Box<str>, Zorgaanbieder) {
    (
        naam.into(),
        Zorgaanbieder {
            naam: naam.into(),
            services,
        },
    )
}

fn header() -> ListHeader {
    ListHeader {
        tijdstempel: "2026-12-01T10:00:00+01:00".parse().unwrap(),
        volgnummer: Volgnummer::parse("7").unwrap(),
    }
}

fn zal() -> Zal {
    Zal {
        header: header(),
        zorgaanbieders: HashMap::from([
            za(
                "umcharderwijk@medmij",
                vec![
                    service("48", &["https://medmij.umcharderwijk.nl/fhir/huisarts"]),
                    service("51", &["https://medmij.umcharderwijk.nl/fhir"]),
                    service("9051", &["https://medmij.umcharderwijk.nl/fhir-glg"]),
                    service("9048", &["https://medmij.umcharderwijk.nl/fhir-oud"]),
                ],
            ),
            za(
                "ziekenhuisamstelland@medmij",
                vec![
                    service("51", &["https://fhir.amstelland.nl:8443/medmij"]),
                    service("9051", &["https://fhir.amstelland.nl:8443/medmij-glg"]),
                    service("4", &["https://fhir.amstelland.nl:8443/lab"]),
                ],
            ),
            za(
                "dubbelpraktijk@medmij",
                vec![
                    service("48", &["https://fhir.dubbel.nl/fhir"]),
                    service(
                        "49",
                        &[
                            "https://fhir.dubbel.nl/fhir",
                            "https://fhir.dubbel.nl/fhir/49",
                        ],
                    ),
                ],
            ),
            za(
                "elderszorg@medmij",
                vec![service("51", &["https://fhir.elders.nl/fhir"])],
            ),
        ]),
    }
}

fn client(host: &str, ids: Option<&[&str]>) -> (Box<str>, OAuthClient) {
    (
        host.into(),
        OAuthClient {
            hostname: host.into(),
            organisatienaam: "Een PGO".into(),
            gegevensdiensten: ids.map(|ids| ids.iter().map(|&i| i.into()).collect::<HashSet<_>>()),
        },
    )
}

fn ocl() -> Ocl {
    Ocl {
        header: header(),
        clients: HashMap::from([
            client(GLG_DVP, None),
            client(OTHER_DVP, None),
            client(LISTED_DVP, Some(&["51", "9051"])),
            client(NARROW_DVP, Some(&["48"])),
        ]),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn glg(
    id: &str,
    provider: &str,
    copy: &str,
    original: &str,
    dvps: &[&str],
    dates: [&str; 2],
    ext: Option<&str>,
) -> Glg {
    Glg {
        id: id.into(),
        provider: provider.into(),
        copy_service: copy.into(),
        original_service: original.into(),
        dvps: dvps.iter().map(|d| d.to_string()).collect(),
        start: day(dates[0]),
        end: day(dates[1]),
        extended_until: ext.map(day),
    }
}

fn provider(name: &str, upstream: &str, services: &[(&str, &str)]) -> config::Provider {
    config::Provider {
        name: name.into(),
        upstream: upstream.parse().unwrap(),
        services: services
            .iter()
            .map(|(id, u)| (id.to_string(), u.parse().unwrap()))
            .collect::<BTreeMap<_, _>>(),
        authorization_server: None,
    }
}

fn config(match_host: bool) -> Config {
    Config {
        path: None,
        server: config::Server {
            listen: "127.0.0.1:0".parse().unwrap(),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            match_host,
            request_timeout: Duration::from_secs(55),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16384,
            max_body_bytes: 10 << 20,
            upstream_ca: None,
            tls: None,
        },
        lists: config::Lists {
            zal: config::Source::File("zal.xml".into()),
            ocl: config::Source::File("ocl.xml".into()),
            whl: None,
            gnl: None,
            refresh_interval: Duration::from_secs(300),
            max_stale: Duration::from_secs(86400),
            timeout: Duration::from_secs(30),
            max_bytes: 1 << 30,
            ca: None,
            client_cert: None,
        },
        tokens: config::Tokens {
            mode: config::TokenMode::Jwt,
            issuer: "https://auth.example.nl".into(),
            audience: None,
            algorithms: vec![jsonwebtoken::Algorithm::ES256],
            jwks: Some(config::Source::File("jwks.json".into())),
            leeway: Duration::from_secs(30),
            scope_claim: "scope".into(),
            client_claim: "client_id".into(),
            forward_authorization: true,
            introspection: None,
        },
        authorization_server: None,
        providers: vec![
            provider(
                "umcharderwijk@medmij",
                "http://127.0.0.1:8081/fhir",
                &[("48", "http://127.0.0.1:8083/huisarts/")],
            ),
            provider(
                "ziekenhuisamstelland@medmij",
                "http://127.0.0.1:8084/r4",
                &[],
            ),
            provider("dubbelpraktijk@medmij", "http://127.0.0.1:8085", &[]),
        ],
        glgs: vec![
            glg(
                "glg-umch-51",
                "umcharderwijk@medmij",
                "9051",
                "51",
                &[GLG_DVP, LISTED_DVP],
                ["2026-11-01", "2027-01-31"],
                Some("2027-02-28"),
            ),
            glg(
                "glg-umch-48-2026",
                "umcharderwijk@medmij",
                "9048",
                "48",
                &[GLG_DVP],
                ["2026-03-01", "2026-05-31"],
                None,
            ),
            glg(
                "glg-amstel-51",
                "ziekenhuisamstelland@medmij",
                "9051",
                "51",
                &[OTHER_DVP],
                ["2026-10-15", "2027-01-14"],
                None,
            ),
        ],
        audit: config::Audit {
            path: "audit.jsonl".into(),
            mode: config::AuditMode::Durable,
        },
    }
}

fn snapshot(match_host: bool) -> Snapshot {
    Snapshot::new(
        Arc::new(config(match_host)),
        ListSet {
            zal: Arc::new(zal()),
            ocl: Arc::new(ocl()),
            whl: None,
            gnl: None,
            loaded_at: crate::snapshot::LoadTimes::all(now()),
        },
    )
}

/// 2026-12-03 12:00 in Amsterdam.
fn now() -> DateTime<Utc> {
    "2026-12-03T11:00:00Z".parse().unwrap()
}

fn run(snap: &Snapshot, client: &str, scope: &str, url: &str, at: DateTime<Utc>) -> Decision {
    let url = url::Url::parse(url).unwrap();
    let req = ResourceRequest {
        host: url.host_str(),
        path: url.path(),
        query: url.query(),
        client_id: client,
        scope,
    };
    decide(snap, &req, at)
}

struct Case {
    name: &'static str,
    client: &'static str,
    scope: &'static str,
    url: &'static str,
    expect: Result<Allowed, Reason>,
}

struct Allowed {
    requested: &'static str,
    effective: &'static str,
    glg: Option<&'static str>,
    upstream: &'static str,
}

fn allow(
    requested: &'static str,
    effective: &'static str,
    glg: Option<&'static str>,
    upstream: &'static str,
) -> Result<Allowed, Reason> {
    Ok(Allowed {
        requested,
        effective,
        glg,
        upstream,
    })
}

const UMCH: &str = "https://medmij.umcharderwijk.nl";

fn cases() -> Vec<Case> {
    vec![
        // --- allowed: GLG traffic mapped to the original service
        Case {
            name: "a GLG DVP on the copy service is routed to the original's upstream",
            client: GLG_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient?_id=1",
            expect: allow(
                "9051",
                "51",
                Some("glg-umch-51"),
                "http://127.0.0.1:8081/fhir/Patient?_id=1",
            ),
        },
        Case {
            name: "a GLG DVP listing the copy service on the later-form OCL is allowed",
            client: LISTED_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Observation",
            expect: allow(
                "9051",
                "51",
                Some("glg-umch-51"),
                "http://127.0.0.1:8081/fhir/Observation",
            ),
        },
        // --- allowed: normal traffic side by side
        Case {
            name: "a non-GLG DVP on the original service is allowed as normal traffic",
            client: OTHER_DVP,
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: allow("51", "51", None, "http://127.0.0.1:8081/fhir/Patient"),
        },
        Case {
            name: "a GLG DVP on the original service is normal traffic",
            client: GLG_DVP,
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir",
            expect: allow("51", "51", None, "http://127.0.0.1:8081/fhir"),
        },
        Case {
            name: "a per-service upstream base is used without doubling the slash",
            client: NARROW_DVP,
            scope: "umcharderwijk~48",
            url: "https://medmij.umcharderwijk.nl/fhir/huisarts/Patient",
            expect: allow("48", "48", None, "http://127.0.0.1:8083/huisarts/Patient"),
        },
        Case {
            name: "another ZA's GLG with the same copy id serves its own DVP",
            client: OTHER_DVP,
            scope: "ziekenhuisamstelland~9051",
            url: "https://fhir.amstelland.nl/medmij-glg/Patient",
            expect: allow(
                "9051",
                "51",
                Some("glg-amstel-51"),
                "http://127.0.0.1:8084/r4/Patient",
            ),
        },
        Case {
            name: "another ZA's normal service passes for any OCL client",
            client: GLG_DVP,
            scope: "ziekenhuisamstelland~4",
            url: "https://FHIR.amstelland.nl:443/lab/DiagnosticReport",
            expect: allow("4", "4", None, "http://127.0.0.1:8084/r4/DiagnosticReport"),
        },
        Case {
            name: "the longest endpoint prefix decides between two scope ids",
            client: OTHER_DVP,
            scope: "dubbelpraktijk~48 dubbelpraktijk~49",
            url: "https://fhir.dubbel.nl/fhir/49/Patient",
            expect: allow("49", "49", None, "http://127.0.0.1:8085/Patient"),
        },
        Case {
            name: "a scope with onbehalfof and a service is allowed",
            client: OTHER_DVP,
            scope: "onbehalfof umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: allow("51", "51", None, "http://127.0.0.1:8081/fhir/Patient"),
        },
        // --- row 5
        Case {
            name: "a scope outside the grammar is malformed",
            client: GLG_DVP,
            scope: "umcharderwijk:51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: Err(Reason::ScopeMalformed),
        },
        // --- row 6
        Case {
            name: "a client not on the OCL is unknown",
            client: "evil.example.com",
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: Err(Reason::ClientUnknown),
        },
        // --- row 7
        Case {
            name: "a ZA not on the ZAL is unknown",
            client: GLG_DVP,
            scope: "nergenszorg~51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: Err(Reason::ProviderUnknown),
        },
        // --- row 8
        Case {
            name: "a ZA on the ZAL that this gateway does not serve is refused",
            client: GLG_DVP,
            scope: "elderszorg~51",
            url: "https://fhir.elders.nl/fhir/Patient",
            expect: Err(Reason::ProviderNotServed),
        },
        // --- row 9
        Case {
            name: "a service the ZA does not offer is refused",
            client: GLG_DVP,
            scope: "umcharderwijk~4",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: Err(Reason::ServiceNotOffered),
        },
        // --- row 10
        Case {
            name: "a URL under another service's endpoint is a mismatch",
            client: OTHER_DVP,
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            expect: Err(Reason::EndpointMismatch),
        },
        Case {
            name: "a prefix that is not on a segment boundary does not match",
            client: OTHER_DVP,
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhirx/Patient",
            expect: Err(Reason::EndpointMismatch),
        },
        Case {
            name: "the right path on another host is a mismatch when hosts are matched",
            client: OTHER_DVP,
            scope: "umcharderwijk~51",
            url: "https://fhir.amstelland.nl/fhir/Patient",
            expect: Err(Reason::EndpointMismatch),
        },
        Case {
            name: "two scope ids whose endpoints tie are ambiguous",
            client: OTHER_DVP,
            scope: "dubbelpraktijk~48 dubbelpraktijk~49",
            url: "https://fhir.dubbel.nl/fhir/Patient",
            expect: Err(Reason::EndpointAmbiguous),
        },
        // --- row 11
        Case {
            name: "the copy service of an ended GLG is not active",
            client: GLG_DVP,
            scope: "umcharderwijk~9048",
            url: "https://medmij.umcharderwijk.nl/fhir-oud/Patient",
            expect: Err(Reason::GlgNotActive),
        },
        // --- row 12
        Case {
            name: "a non-GLG DVP asking for the copy service is refused",
            client: OTHER_DVP,
            scope: "umcharderwijk~9051",
            url: "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            expect: Err(Reason::CopyServiceNotGlgDvp),
        },
        Case {
            name: "the DVP of one ZA's GLG is no DVP of another ZA's GLG on the same copy id",
            client: GLG_DVP,
            scope: "ziekenhuisamstelland~9051",
            url: "https://fhir.amstelland.nl/medmij-glg/Patient",
            expect: Err(Reason::CopyServiceNotGlgDvp),
        },
        // --- row 13
        Case {
            name: "a later-form OCL client without the service is not qualified",
            client: NARROW_DVP,
            scope: "umcharderwijk~51",
            url: "https://medmij.umcharderwijk.nl/fhir/Patient",
            expect: Err(Reason::ClientNotQualified),
        },
    ]
}

#[test]
fn every_case_of_the_table_decides_as_expected() {
    let snap = snapshot(true);
    for case in cases() {
        let d = run(&snap, case.client, case.scope, case.url, now());
        match &case.expect {
            Ok(a) => {
                assert_eq!(d.reason, None, "{}: {:?}", case.name, d.detail);
                assert_eq!(d.decision, Verdict::Allow, "{}", case.name);
                assert_eq!(
                    d.requested_service.as_deref(),
                    Some(a.requested),
                    "{}",
                    case.name
                );
                assert_eq!(
                    d.effective_service.as_deref(),
                    Some(a.effective),
                    "{}",
                    case.name
                );
                assert_eq!(d.glg.as_deref(), a.glg, "{}", case.name);
                assert_eq!(d.upstream.as_deref(), Some(a.upstream), "{}", case.name);
            }
            Err(r) => {
                assert_eq!(d.reason, Some(*r), "{}: {:?}", case.name, d.detail);
                assert_eq!(d.decision, Verdict::Deny, "{}", case.name);
                assert_eq!(d.upstream, None, "{}", case.name);
            }
        }
    }
}

#[test]
fn every_policy_reason_code_has_a_case_in_the_table() {
    let covered: HashSet<Reason> = cases()
        .iter()
        .filter_map(|c| c.expect.as_ref().err().copied())
        .collect();
    for r in [
        Reason::ScopeMalformed,
        Reason::ClientUnknown,
        Reason::ProviderUnknown,
        Reason::ProviderNotServed,
        Reason::ServiceNotOffered,
        Reason::EndpointMismatch,
        Reason::EndpointAmbiguous,
        Reason::GlgNotActive,
        Reason::CopyServiceNotGlgDvp,
        Reason::ClientNotQualified,
    ] {
        assert!(covered.contains(&r), "no case for {r}");
    }
}

#[test]
fn a_denial_keeps_what_was_learned_before_it() {
    let d = run(
        &snapshot(true),
        OTHER_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        now(),
    );
    assert_eq!(d.provider.as_deref(), Some("umcharderwijk@medmij"));
    assert_eq!(d.requested_service.as_deref(), Some("9051"));
    assert_eq!(d.glg.as_deref(), Some("glg-umch-51"));
    assert_eq!(d.effective_service, None);
}

#[test]
fn the_copy_service_is_refused_the_day_before_the_glg_starts() {
    // 2026-10-31 23:30 in Amsterdam (UTC+1) is still the day before the first day.
    let at = "2026-10-31T22:30:00Z".parse().unwrap();
    let d = run(
        &snapshot(true),
        GLG_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        at,
    );
    assert_eq!(d.reason, Some(Reason::GlgNotActive));
}

#[test]
fn the_copy_service_is_allowed_from_midnight_amsterdam_on_the_first_day() {
    let at = "2026-10-31T23:00:00Z".parse().unwrap();
    let d = run(
        &snapshot(true),
        GLG_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        at,
    );
    assert_eq!(d.reason, None);
}

#[test]
fn the_copy_service_is_allowed_on_the_last_day_of_the_extension() {
    let at = "2027-02-28T22:59:59Z".parse().unwrap();
    let d = run(
        &snapshot(true),
        GLG_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        at,
    );
    assert_eq!(d.glg.as_deref(), Some("glg-umch-51"));
    assert_eq!(d.reason, None);
}

#[test]
fn the_copy_service_is_refused_the_day_after_the_extension() {
    let at = "2027-02-28T23:00:00Z".parse().unwrap();
    let d = run(
        &snapshot(true),
        GLG_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        at,
    );
    assert_eq!(d.reason, Some(Reason::GlgNotActive));
}

#[test]
fn without_match_host_the_path_alone_selects_the_endpoint() {
    let d = run(
        &snapshot(false),
        OTHER_DVP,
        "umcharderwijk~51",
        "https://elders.example/fhir/Patient",
        now(),
    );
    assert_eq!(d.reason, None);
    assert_eq!(
        d.upstream.as_deref(),
        Some("http://127.0.0.1:8081/fhir/Patient")
    );
}

#[test]
fn a_missing_host_never_matches_when_hosts_are_matched() {
    let snap = snapshot(true);
    let req = ResourceRequest {
        host: None,
        path: "/fhir/Patient",
        query: None,
        client_id: OTHER_DVP,
        scope: "umcharderwijk~51",
    };
    assert_eq!(
        decide(&snap, &req, now()).reason,
        Some(Reason::EndpointMismatch)
    );
}

#[test]
fn dot_segments_encoded_slashes_and_backslashes_are_refused() {
    // The raw path as it came off the wire; `url::Url` would already have normalized it.
    for path in [
        "/fhir/../fhir-glg/Patient",
        "/fhir/%2e%2E/fhir-glg/Patient",
        "/fhir/./Patient",
        "/fhir/a%2Fb",
        "/fhir/a%5cb",
        "/fhir\\..\\x",
    ] {
        let req = ResourceRequest {
            host: Some("medmij.umcharderwijk.nl"),
            path,
            query: None,
            client_id: OTHER_DVP,
            scope: "umcharderwijk~51",
        };
        assert_eq!(
            decide(&snapshot(true), &req, now()).reason,
            Some(Reason::RequestMalformed),
            "{path}"
        );
    }
}

#[test]
fn host_port_is_ignored_when_matching_hosts() {
    assert_eq!(host_without_port("fhir.example.nl:8443"), "fhir.example.nl");
    assert_eq!(host_without_port("fhir.example.nl"), "fhir.example.nl");
    assert_eq!(host_without_port("[::1]"), "[::1]");
}

#[test]
fn decision_json_has_exactly_the_contract_fields() {
    let d = run(
        &snapshot(true),
        GLG_DVP,
        "umcharderwijk~9051",
        &format!("{UMCH}/fhir-glg/Patient"),
        now(),
    );
    let v = serde_json::to_value(&d).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "decision",
            "effective_service",
            "glg",
            "provider",
            "reason",
            "requested_service",
            "upstream"
        ]
    );
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["reason"], serde_json::Value::Null);
}

/// Invariants of `decide` over generated requests against the same fixture: whatever the
/// client, scope, URL and day, an allowed request satisfies every rule of SPEC §7 rows 6–13
/// (checked here from the fixture, not through `decide`'s own code), and nothing panics.
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::glg::calendar::amsterdam_today;

    const CLIENTS: [&str; 5] = [
        GLG_DVP,
        OTHER_DVP,
        LISTED_DVP,
        NARROW_DVP,
        "onbekend.example.nl",
    ];
    const ZAS: [&str; 5] = [
        "umcharderwijk",
        "ziekenhuisamstelland",
        "dubbelpraktijk",
        "elderszorg",
        "nergens",
    ];
    /// The first two (the live GLGs' original and copy) are drawn more often.
    const IDS: [&str; 8] = ["51", "9051", "4", "48", "49", "9048", "9999", "1"];
    const BASES: [&str; 9] = [
        "https://medmij.umcharderwijk.nl/fhir",
        "https://medmij.umcharderwijk.nl/fhir-glg",
        "https://medmij.umcharderwijk.nl/fhir-oud",
        "https://medmij.umcharderwijk.nl/fhir/huisarts",
        "https://fhir.amstelland.nl/medmij",
        "https://fhir.amstelland.nl/medmij-glg",
        "https://fhir.dubbel.nl/fhir/49",
        "https://fhir.elders.nl/fhir",
        "https://elders.example.nl/fhir",
    ];

    /// Where each ZA of [`ZAS`] has endpoints in the fixture (indexes into [`BASES`]).
    const BASES_OF: [&[usize]; 5] = [&[0, 1, 2, 3], &[4, 5], &[6], &[7], &[8]];

    /// A scope naming one ZA, and a URL that usually lies under one of that ZA's endpoints.
    fn request() -> impl Strategy<Value = (String, String)> {
        (
            0..ZAS.len(),
            proptest::collection::vec(prop_oneof![2 => 0..2usize, 1 => 0..IDS.len()], 1..3),
            any::<prop::sample::Index>(),
            0..BASES.len(),
            prop::bool::weighted(0.8),
            "(/Patient|/Observation/1|/MedicationStatement|)",
        )
            .prop_map(|(za, ids, own, any_base, consistent, rest)| {
                let scope = ids
                    .iter()
                    .map(|&i| format!("{}~{}", ZAS[za], IDS[i]))
                    .collect::<Vec<_>>()
                    .join(" ");
                let base = if consistent {
                    BASES_OF[za][own.index(BASES_OF[za].len())]
                } else {
                    any_base
                };
                (scope, format!("{}{rest}", BASES[base]))
            })
    }

    /// An instant between 2026-02-01 and 2027-04-30: before, during and after every GLG.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (1_769_904_000i64..1_809_043_200).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    /// Checks one decision against the rules of the fixture's config and lists; `Ok(true)`
    /// when it allowed.
    fn check(
        snap: &Snapshot,
        client: &str,
        scope: &str,
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, TestCaseError> {
        let d = run(snap, client, scope, url, at);
        prop_assert_eq!(d.is_allow(), d.reason.is_none());
        prop_assert_eq!(d.is_allow(), d.upstream.is_some());
        if !d.is_allow() {
            return Ok(false);
        }
        let provider = d.provider.clone().unwrap();
        let requested = d.requested_service.clone().unwrap();
        let effective = d.effective_service.clone().unwrap();
        let config = &snap.config;
        let entry = snap.lists.ocl.clients.get(client);
        prop_assert!(entry.is_some(), "{} is not on the OCL", client);
        prop_assert!(config.providers.iter().any(|p| p.name == provider));
        let token = format!("{}~{}", provider.trim_end_matches("@medmij"), requested);
        prop_assert!(
            scope.split(' ').any(|t| t == token),
            "{} does not name {}",
            scope,
            token
        );
        if let Some(ids) = entry.and_then(|e| e.gegevensdiensten.as_ref()) {
            prop_assert!(
                ids.contains(requested.as_str()),
                "{} not qualified for {}",
                client,
                requested
            );
        }
        let today = amsterdam_today(at);
        match config
            .glgs
            .iter()
            .find(|g| g.provider == provider && g.copy_service == requested)
        {
            Some(g) => {
                prop_assert!(g.has_dvp(client), "{} is no DVP of {}", client, g.id);
                prop_assert!(g.start <= today && today <= g.extended_until.unwrap_or(g.end));
                prop_assert_eq!(d.glg.as_deref(), Some(g.id.as_str()));
                prop_assert_eq!(&effective, &g.original_service);
            }
            None => {
                prop_assert_eq!(d.glg, None);
                prop_assert_eq!(&effective, &requested);
            }
        }
        Ok(true)
    }

    #[test]
    fn an_allowed_request_satisfies_every_rule_of_the_lists_and_the_glgs() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cases = 2048;
        let (allowed, glg) = (AtomicUsize::new(0), AtomicUsize::new(0));
        // A fixed seed, so that the share of allowed requests below is the same on every run.
        let rng = proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        );
        let mut runner =
            proptest::test_runner::TestRunner::new_with_rng(ProptestConfig::with_cases(cases), rng);
        let strategy = (0..CLIENTS.len(), request(), instant());
        let snap = snapshot(true);
        runner
            .run(&strategy, |(client, (scope, url), at)| {
                if check(&snap, CLIENTS[client], &scope, &url, at)? {
                    allowed.fetch_add(1, Ordering::Relaxed);
                    if url.contains("-glg") {
                        glg.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(())
            })
            .unwrap();
        // Not vacuous: a fair share of the generated requests is allowed, GLG traffic too.
        let (allowed, glg) = (allowed.into_inner(), glg.into_inner());
        assert!(
            allowed * 40 > cases as usize,
            "only {allowed} of {cases} allowed"
        );
        assert!(glg > 0, "no GLG request allowed among {allowed}");
    }

    proptest! {
        #[test]
        fn any_client_scope_and_url_text_is_decided_without_panicking(
            client in "[a-z.]{0,20}",
            scope in "[ -~]{0,40}",
            path in "/[ -~]{0,40}",
            at in instant(),
        ) {
            let snap = snapshot(true);
            let req = ResourceRequest {
                host: Some("medmij.umcharderwijk.nl"),
                path: &path,
                query: None,
                client_id: &client,
                scope: &scope,
            };
            let d = decide(&snap, &req, at);
            prop_assert_eq!(d.is_allow(), d.reason.is_none());
        }
    }
}
