use std::net::{IpAddr, Ipv4Addr};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

use super::*;

const ROUTE: UpstreamHeaders<'static> = UpstreamHeaders {
    provider: "umcharderwijk@medmij",
    effective_service: "51",
    client: "medmij.deenigeechtepgo.nl",
    glg: None,
};

const GLG_ROUTE: UpstreamHeaders<'static> = UpstreamHeaders {
    glg: Some(GlgHeaders {
        id: "glg-umch-51",
        copy_service: "9051",
    }),
    ..ROUTE
};

fn fwd() -> Forwarding<'static> {
    Forwarding {
        peer: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        tls: true,
        client_host: Some("gateway.dvza.example.nl"),
        upstream_authority: "127.0.0.1:8081",
        request_id: "req-1",
        forward_authorization: true,
    }
}

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn get<'a>(h: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    h.get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn removes_every_hop_by_hop_header() {
    let mut h = map(&[
        ("connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("proxy-authenticate", "Basic"),
        ("proxy-authorization", "Basic eA=="),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("accept", "application/fhir+json"),
    ]);
    remove_hop_by_hop(&mut h);
    assert_eq!(h, map(&[("accept", "application/fhir+json")]));
}

#[test]
fn removes_headers_named_in_any_connection_header_case_insensitively() {
    let mut h = map(&[
        ("connection", "X-Secret , close"),
        ("connection", "x-other"),
        ("x-secret", "1"),
        ("x-other", "2"),
        ("x-kept", "3"),
    ]);
    remove_hop_by_hop(&mut h);
    assert_eq!(h, map(&[("x-kept", "3")]));
}

#[test]
fn adds_the_route_headers_for_ordinary_traffic() {
    let mut h = map(&[("accept", "application/fhir+json")]);
    rewrite_request(&mut h, &ROUTE, &fwd()).unwrap();
    assert_eq!(
        h,
        map(&[
            ("accept", "application/fhir+json"),
            ("x-medmij-zorgaanbieder", "umcharderwijk@medmij"),
            ("x-medmij-gegevensdienst", "51"),
            ("x-medmij-client", "medmij.deenigeechtepgo.nl"),
            ("x-forwarded-for", "192.0.2.7"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "gateway.dvza.example.nl"),
            ("medmij-request-id", "req-1"),
            ("host", "127.0.0.1:8081"),
        ])
    );
}

#[test]
fn adds_glg_and_copy_service_headers_for_glg_traffic() {
    let mut h = HeaderMap::new();
    rewrite_request(&mut h, &GLG_ROUTE, &fwd()).unwrap();
    assert_eq!(get(&h, "x-medmij-glg"), ["glg-umch-51"]);
    assert_eq!(get(&h, "x-medmij-kopie-gegevensdienst"), ["9051"]);
    assert_eq!(get(&h, "x-medmij-gegevensdienst"), ["51"]);
}

#[test]
fn replaces_client_sent_medmij_and_forwarding_headers() {
    let mut h = map(&[
        ("X-MedMij-Client", "evil.example"),
        ("x-medmij-glg", "glg-fake"),
        ("X-MEDMIJ-Whatever", "x"),
        ("x-forwarded-for", "10.0.0.1"),
        ("x-forwarded-port", "1"),
        ("forwarded", "for=10.0.0.1"),
    ]);
    rewrite_request(&mut h, &ROUTE, &fwd()).unwrap();
    assert_eq!(get(&h, "x-medmij-client"), ["medmij.deenigeechtepgo.nl"]);
    assert_eq!(get(&h, "x-medmij-glg"), Vec::<&str>::new());
    assert_eq!(get(&h, "x-medmij-whatever"), Vec::<&str>::new());
    assert_eq!(get(&h, "x-forwarded-for"), ["192.0.2.7"]);
    assert_eq!(get(&h, "x-forwarded-port"), Vec::<&str>::new());
    assert_eq!(get(&h, "forwarded"), Vec::<&str>::new());
}

#[test]
fn passes_correlation_id_and_authorization_on() {
    let mut h = map(&[("x-correlation-id", "c-9"), ("authorization", "Bearer abc")]);
    rewrite_request(&mut h, &ROUTE, &fwd()).unwrap();
    assert_eq!(get(&h, "x-correlation-id"), ["c-9"]);
    assert_eq!(get(&h, "authorization"), ["Bearer abc"]);
}

#[test]
fn drops_authorization_when_forwarding_is_off() {
    let mut h = map(&[("authorization", "Bearer abc")]);
    let fwd = Forwarding {
        forward_authorization: false,
        ..fwd()
    };
    rewrite_request(&mut h, &ROUTE, &fwd).unwrap();
    assert_eq!(h.get(header::AUTHORIZATION), None);
}

#[test]
fn sets_plain_http_proto_and_omits_forwarded_host_without_a_client_host() {
    let mut h = HeaderMap::new();
    let fwd = Forwarding {
        tls: false,
        client_host: None,
        ..fwd()
    };
    rewrite_request(&mut h, &ROUTE, &fwd).unwrap();
    assert_eq!(get(&h, "x-forwarded-proto"), ["http"]);
    assert_eq!(h.get("x-forwarded-host"), None);
}

#[test]
fn refuses_a_route_value_that_is_not_a_header_value() {
    let mut h = HeaderMap::new();
    let route = UpstreamHeaders {
        client: "bad\nvalue",
        ..ROUTE
    };
    assert_eq!(
        rewrite_request(&mut h, &route, &fwd()),
        Err(HeaderError::InvalidValue {
            name: X_MEDMIJ_CLIENT
        })
    );
}

#[test]
fn keeps_a_sane_client_request_id() {
    let h = map(&[("medmij-request-id", "3f2a-XYZ_01")]);
    assert_eq!(request_id(&h), "3f2a-XYZ_01");
}

#[test]
fn generates_a_uuid_for_a_missing_overlong_or_repeated_request_id() {
    let long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
    for h in [
        HeaderMap::new(),
        map(&[("medmij-request-id", &long)]),
        map(&[("medmij-request-id", "has space")]),
        map(&[("medmij-request-id", "a"), ("medmij-request-id", "b")]),
    ] {
        let id = request_id(&h);
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}

#[test]
fn client_host_prefers_the_host_header_then_the_authority() {
    let uri: http::Uri = "https://h2.example.nl/fhir".parse().unwrap();
    assert_eq!(
        client_host(&map(&[("host", "a.example.nl")]), &uri).as_deref(),
        Some("a.example.nl")
    );
    assert_eq!(
        client_host(&HeaderMap::new(), &uri).as_deref(),
        Some("h2.example.nl")
    );
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[xX]-[mM][eE][dD][mM][iI][jJ]-[A-Za-z-]{0,12}",
        "[xX]-[fF]orwarded-[A-Za-z]{1,8}",
        Just("Connection".to_owned()),
        Just("medmij-request-id".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,15}",
    ]
}

proptest! {
    #[test]
    fn no_client_medmij_header_survives_and_ours_are_exact(
        pairs in proptest::collection::vec((header_name(), "[ -~]{0,20}"), 0..24),
        glg in any::<bool>(),
    ) {
        let mut h = HeaderMap::new();
        for (k, v) in &pairs {
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                h.append(k, v);
            }
        }
        let route = if glg { GLG_ROUTE } else { ROUTE };
        rewrite_request(&mut h, &route, &fwd()).unwrap();

        let mut ours: Vec<(String, String)> = h
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-medmij-"))
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        ours.sort();
        let mut expected = vec![
            ("x-medmij-client".to_owned(), "medmij.deenigeechtepgo.nl".to_owned()),
            ("x-medmij-gegevensdienst".to_owned(), "51".to_owned()),
            ("x-medmij-zorgaanbieder".to_owned(), "umcharderwijk@medmij".to_owned()),
        ];
        if glg {
            expected.push(("x-medmij-glg".to_owned(), "glg-umch-51".to_owned()));
            expected.push(("x-medmij-kopie-gegevensdienst".to_owned(), "9051".to_owned()));
        }
        expected.sort();
        prop_assert_eq!(ours, expected);
        prop_assert_eq!(get(&h, "x-forwarded-for"), vec!["192.0.2.7"]);
        prop_assert_eq!(get(&h, "medmij-request-id"), vec!["req-1"]);
        prop_assert_eq!(get(&h, "host"), vec!["127.0.0.1:8081"]);
        prop_assert!(h.get(header::CONNECTION).is_none());
    }
}
