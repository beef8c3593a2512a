//! The official MedMij example lists (copied under `tests/corpus/examples/`) parse with the
//! contents they hold.

use std::path::Path;

use scopegate::lists::{EndpointUri, Volgnummer, gnl, ocl, whl, zal};

fn example(rel: &str) -> Vec<u8> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/examples"
    ))
    .join(rel);
    std::fs::read(path).unwrap()
}

fn endpoint(uri: &str, host: &str, port: Option<u16>, path: &str) -> EndpointUri {
    EndpointUri {
        uri: uri.into(),
        host: host.into(),
        port,
        path: path.into(),
    }
}

#[test]
fn release_1_1_zal_example_has_both_providers_with_split_endpoints() {
    let zal = zal::parse(&example(
        "release-1.1/MedMij_Zorgaanbiederslijst_example.xml",
    ))
    .unwrap();
    assert_eq!(zal.header.volgnummer, Volgnummer::parse("6").unwrap());
    assert_eq!(
        zal.header.tijdstempel.to_rfc3339(),
        "2018-04-16T12:56:33+00:00"
    );
    let mut names: Vec<&str> = zal.zorgaanbieders.keys().map(|k| &**k).collect();
    names.sort();
    assert_eq!(
        names,
        ["radiologencentraalflevoland@medmij", "umcharderwijk@medmij"]
    );

    let umch = zal.get("umcharderwijk@medmij").unwrap();
    let ids: Vec<&str> = umch.services.iter().map(|s| &*s.id).collect();
    assert_eq!(ids, ["4", "6"]);
    let six = umch.service("6").next().unwrap();
    assert_eq!(six.interfaceversie, None);
    assert_eq!(
        six.authorization_endpoint,
        endpoint(
            "https://78834.umcharderwijk.nl/oauth/authorize",
            "78834.umcharderwijk.nl",
            None,
            "/oauth/authorize"
        )
    );
    assert_eq!(
        six.token_endpoint,
        endpoint(
            "https://78834.umcharderwijk.nl:8099/oauth/token",
            "78834.umcharderwijk.nl",
            Some(8099),
            "/oauth/token"
        )
    );
    let codes: Vec<&str> = six.systeemrollen.iter().map(|r| &*r.code).collect();
    assert_eq!(codes, ["MM-1.0.0-PLB-FHIR", "MM-1.0.0-PDB-FHIR"]);
    assert_eq!(
        six.systeemrollen[0].resource_endpoint.path.as_ref(),
        "/pdfa"
    );
    assert_eq!(six.systeemrollen[0].resource_endpoint.port, Some(9100));

    let rcf = zal.get("radiologencentraalflevoland@medmij").unwrap();
    assert_eq!(
        rcf.service("1").next().unwrap().systeemrollen[0].resource_endpoint,
        endpoint(
            "https://rcf-rso.nl/rcf/fhir-stu3",
            "rcf-rso.nl",
            None,
            "/rcf/fhir-stu3"
        )
    );
}

#[test]
fn release_1_0_zal_example_parses_like_release_1_1() {
    let old = zal::parse(&example(
        "release-1.0/MedMij_Zorgaanbiederslijst_example.xml",
    ))
    .unwrap();
    let new = zal::parse(&example(
        "release-1.1/MedMij_Zorgaanbiederslijst_example.xml",
    ))
    .unwrap();
    assert_eq!(old.zorgaanbieders, new.zorgaanbieders);
}

#[test]
fn ocl_examples_list_two_clients_qualified_for_everything() {
    for rel in [
        "release-1.0/MedMij_OAuthclientlist_example.xml",
        "release-1.1/MedMij_OAuthclientlist_example.xml",
    ] {
        let ocl = ocl::parse(&example(rel)).unwrap();
        assert_eq!(ocl.header.volgnummer.as_str(), "522");
        assert_eq!(ocl.clients.len(), 2);
        let pgo = ocl.get("medmij.deenigeechtepgo.nl").unwrap();
        assert_eq!(&*pgo.organisatienaam, "De Enige Echte PGO");
        assert_eq!(pgo.gegevensdiensten, None);
        assert!(pgo.qualified_for("48"));
        let other = ocl.get("pgocluster68.personalhealthprovider.net").unwrap();
        assert_eq!(&*other.organisatienaam, "Unstealth Health Midden-Nederland");
    }
}

#[test]
fn whitelist_examples_in_both_forms_hold_their_hosts() {
    let old = whl::parse(&example("release-1.0/MedMij_Whitelist_example.xml")).unwrap();
    assert_eq!(old.hosts.len(), 8);
    assert!(old.contains("specimen-stelselnode.medmij.nl"));
    assert_eq!(
        old.header.tijdstempel.to_rfc3339(),
        "2018-04-16T10:43:41+01:00"
    );
    let new = whl::parse(&example("release-1.1/MedMij_Whitelist_example.xml")).unwrap();
    assert_eq!(new.hosts.len(), 7);
    assert!(new.contains("rcf-rso.nl"));
    assert!(!new.contains("specimen-stelselnode.medmij.nl"));
    let single = whl::parse(&example("edge-cases/whitelist_example_single.xml")).unwrap();
    assert_eq!(single.hosts.len(), 1);
    assert_eq!(single.header.volgnummer.as_str(), "1");
}

#[test]
fn gnl_example_names_seven_services() {
    let gnl = gnl::parse(&example(
        "release-1.1/MedMij_Gegevensdienstnamenlijst_example.xml",
    ))
    .unwrap();
    assert_eq!(gnl.names.len(), 7);
    assert_eq!(gnl.names.get("1").map(|n| &**n), Some("Basisgegevens Zorg"));
    assert_eq!(
        gnl.names.get("2").map(|n| &**n),
        Some("Medicatieoverzichten")
    );
}

#[test]
fn empty_zal_example_has_no_providers() {
    let zal = zal::parse(&example("edge-cases/zal_example_empty.xml")).unwrap();
    assert!(zal.zorgaanbieders.is_empty());
    assert_eq!(zal.header.volgnummer.as_str(), "6");
}

#[test]
fn authored_minimal_examples_parse() {
    let zal = zal::parse(&example("authored-minimal/minimal_Zorgaanbiederslijst.xml")).unwrap();
    let za = zal.get("ziekenhuisvoorbeeld@medmij").unwrap();
    assert_eq!(za.services[0].token_endpoint.port, Some(8443));
    assert_eq!(
        &*za.services[0].systeemrollen[0].resource_endpoint.path,
        "/fhir"
    );
    ocl::parse(&example("authored-minimal/minimal_OAuthclientlist.xml")).unwrap();
    whl::parse(&example("authored-minimal/minimal_Whitelist.xml")).unwrap();
    whl::parse(&example(
        "authored-minimal/minimal_Whitelist_release-1.0-form.xml",
    ))
    .unwrap();
    let gnl = gnl::parse(&example(
        "authored-minimal/minimal_Gegevensdienstnamenlijst.xml",
    ))
    .unwrap();
    assert_eq!(
        gnl.names.get("48").map(|n| &**n),
        Some("Basisgegevens zorg")
    );
}
