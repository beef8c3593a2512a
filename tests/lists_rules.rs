//! Every `Rule` has a document that triggers it, with the line it is reported on.

use scopegate::lists::error::Rule;
use scopegate::lists::{ListError, ListKind, gnl, ocl, whl, zal};

const ZAL_NS: &str = "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release2/";
const OCL_NS: &str = "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/";
const WHL_NS: &str = "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/";
const GNL_NS: &str = "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/";

const HEADER: &str =
    "<Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>\n<Volgnummer>7</Volgnummer>\n";

/// A ZAL: line 1 root, 2 Tijdstempel, 3 Volgnummer, 4 Zorgaanbieders, then `providers`.
fn zal_with(header: &str, providers: &str) -> String {
    format!(
        "<Zorgaanbiederslijst xmlns=\"{ZAL_NS}\">\n{header}<Zorgaanbieders>\n{providers}</Zorgaanbieders>\n</Zorgaanbiederslijst>\n"
    )
}

fn service(id: &str, auth: &str, token: &str, rollen: &str) -> String {
    format!(
        "<Gegevensdienst><GegevensdienstId>{id}</GegevensdienstId>\
         <AuthorizationEndpoint><AuthorizationEndpointuri>{auth}</AuthorizationEndpointuri></AuthorizationEndpoint>\
         <TokenEndpoint><TokenEndpointuri>{token}</TokenEndpointuri></TokenEndpoint>\
         <Systeemrollen>{rollen}</Systeemrollen></Gegevensdienst>\n"
    )
}

fn rol(code: &str, uri: &str) -> String {
    format!(
        "<Systeemrol><Systeemrolcode>{code}</Systeemrolcode><ResourceEndpoint><ResourceEndpointuri>{uri}</ResourceEndpointuri></ResourceEndpoint></Systeemrol>"
    )
}

fn good_service(id: &str) -> String {
    service(
        id,
        "https://a.example.nl/authorize",
        "https://a.example.nl/token",
        &rol("R1", "https://a.example.nl/fhir"),
    )
}

/// One provider on line 5 (name) and its services from line 6.
fn provider(name: &str, services: &str) -> String {
    format!(
        "<Zorgaanbieder><Zorgaanbiedernaam>{name}</Zorgaanbiedernaam>\n<Gegevensdiensten>\n{services}</Gegevensdiensten></Zorgaanbieder>\n"
    )
}

fn zal_one(services: &str) -> String {
    zal_with(HEADER, &provider("umcharderwijk@medmij", services))
}

fn ocl_with(clients: &str) -> String {
    format!(
        "<OAuthclientlist xmlns=\"{OCL_NS}\">\n{HEADER}<OAuthclients>\n{clients}</OAuthclients>\n</OAuthclientlist>\n"
    )
}

fn client(host: &str, org: &str) -> String {
    format!(
        "<OAuthclient><Hostname>{host}</Hostname><OAuthclientOrganisatienaam>{org}</OAuthclientOrganisatienaam></OAuthclient>\n"
    )
}

fn whl_with(nodes: &str) -> String {
    format!(
        "<Whitelist xmlns=\"{WHL_NS}\">\n{HEADER}<MedMijNodes>\n{nodes}</MedMijNodes>\n</Whitelist>\n"
    )
}

fn gnl_with(diensten: &str) -> String {
    format!(
        "<Gegevensdienstnamenlijst xmlns=\"{GNL_NS}\">\n{HEADER}<Gegevensdiensten>\n{diensten}</Gegevensdiensten>\n</Gegevensdienstnamenlijst>\n"
    )
}

fn parse(kind: ListKind, doc: &str) -> Result<(), ListError> {
    let bytes = doc.as_bytes();
    match kind {
        ListKind::Zal => zal::parse(bytes).map(drop),
        ListKind::Ocl => ocl::parse(bytes).map(drop),
        ListKind::Whl => whl::parse(bytes).map(drop),
        ListKind::Gnl => gnl::parse(bytes).map(drop),
    }
}

/// (rule, list, document, line reported)
fn cases() -> Vec<(Rule, ListKind, String, u32)> {
    use ListKind::*;
    let ok = good_service("4");
    vec![
        (
            Rule::ElementOrder,
            Zal,
            zal_with(
                "<Volgnummer>7</Volgnummer>\n<Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>\n",
                "",
            ),
            2,
        ),
        (Rule::Cardinality, Zal, zal_one(""), 7),
        (
            Rule::Cardinality,
            Zal,
            zal_one(&service("4", "https://a.nl/x", "https://a.nl/t", "")),
            7,
        ),
        (
            Rule::ZorgaanbiedernaamPattern,
            Zal,
            zal_with(HEADER, &provider("UMC@medmij", &ok)),
            5,
        ),
        (
            Rule::ZorgaanbiedernaamLength,
            Zal,
            zal_with(HEADER, &provider("ab@medmij", &ok)),
            5,
        ),
        (
            Rule::HostnamePattern,
            Ocl,
            ocl_with(&client("Pgo.example.nl", "PGO")),
            5,
        ),
        (
            Rule::BackchannelUriPattern,
            Zal,
            zal_one(&service(
                "4",
                "https://a.nl/x",
                "http://a.nl/t",
                &rol("R", "https://a.nl/f"),
            )),
            7,
        ),
        (
            Rule::FrontchannelUriPattern,
            Zal,
            zal_one(&service(
                "4",
                "https://a.nl:443/x",
                "https://a.nl/t",
                &rol("R", "https://a.nl/f"),
            )),
            7,
        ),
        (
            Rule::PortRange,
            Zal,
            zal_one(&service(
                "4",
                "https://a.nl/x",
                "https://a.nl/t",
                &rol("R", "https://a.nl:99999/f"),
            )),
            7,
        ),
        (
            Rule::IdLength,
            Zal,
            zal_one(&good_service(&"9".repeat(31))),
            7,
        ),
        (
            Rule::IdLength,
            Gnl,
            gnl_with(
                "<Gegevensdienst><GegevensdienstId></GegevensdienstId><Weergavenaam>Abc</Weergavenaam></Gegevensdienst>\n",
            ),
            5,
        ),
        (
            Rule::OrganisatienaamLength,
            Ocl,
            ocl_with(&client("pgo.example.nl", "AB")),
            5,
        ),
        (
            Rule::WeergavenaamLength,
            Gnl,
            gnl_with(&format!(
                "<Gegevensdienst><GegevensdienstId>1</GegevensdienstId><Weergavenaam>{}</Weergavenaam></Gegevensdienst>\n",
                "é".repeat(51)
            )),
            5,
        ),
        (
            Rule::UniqueZorgaanbieder,
            Zal,
            zal_with(
                HEADER,
                &(provider("umcharderwijk@medmij", &ok) + &provider("umcharderwijk@medmij", &ok)),
            ),
            9,
        ),
        (
            Rule::UniqueGegevensdienst,
            Zal,
            zal_one(&(good_service("4") + &good_service("4"))),
            8,
        ),
        (
            Rule::UniqueGegevensdienst,
            Gnl,
            gnl_with(
                "<Gegevensdienst><GegevensdienstId>1</GegevensdienstId><Weergavenaam>Abc</Weergavenaam></Gegevensdienst>\n<Gegevensdienst><GegevensdienstId>1</GegevensdienstId><Weergavenaam>Def</Weergavenaam></Gegevensdienst>\n",
            ),
            6,
        ),
        (
            Rule::UniqueSysteemrol,
            Zal,
            zal_one(&service(
                "4",
                "https://a.nl/x",
                "https://a.nl/t",
                &(rol("R", "https://a.nl/f") + &rol("R", "https://a.nl/g")),
            )),
            7,
        ),
        (
            Rule::UniqueHostname,
            Ocl,
            ocl_with(&(client("pgo.example.nl", "PGO") + &client("pgo.example.nl", "Other"))),
            6,
        ),
        (
            Rule::UniqueHostname,
            Whl,
            whl_with(
                "<MedMijNode>a.example.nl</MedMijNode>\n<MedMijNode>a.example.nl</MedMijNode>\n",
            ),
            6,
        ),
        (
            Rule::UniqueInterfaceversie,
            Zal,
            zal_with(
                HEADER,
                &format!(
                    "<Zorgaanbieder><Zorgaanbiedernaam>umcharderwijk@medmij</Zorgaanbiedernaam>\n<Interfaceversies>\n\
             <Interfaceversie><InterfaceversieId>2</InterfaceversieId><Gegevensdiensten>{ok}</Gegevensdiensten></Interfaceversie>\n\
             <Interfaceversie><InterfaceversieId>2</InterfaceversieId><Gegevensdiensten>{ok}</Gegevensdiensten></Interfaceversie>\n\
             </Interfaceversies></Zorgaanbieder>\n"
                ),
            ),
            9,
        ),
        (
            Rule::Datetime,
            Gnl,
            gnl_with("").replace("2024-03-01T08", "2023-02-29T08"),
            2,
        ),
        (
            Rule::Timezone,
            Whl,
            whl_with("").replace("08:00:00Z", "08:00:00.123"),
            2,
        ),
        (
            Rule::PositiveInteger,
            Ocl,
            ocl_with("").replace(">7<", ">0<"),
            3,
        ),
        (
            Rule::Namespace,
            Gnl,
            gnl_with("").replace("release1", "release2"),
            1,
        ),
        (
            Rule::Namespace,
            Zal,
            zal_with(HEADER, "<Zorgaanbieder xmlns=\"urn:x\"/>\n"),
            5,
        ),
        (Rule::UnexpectedText, Zal, zal_with(HEADER, "oops\n"), 4),
        (
            Rule::UnexpectedAttribute,
            Ocl,
            ocl_with("").replace("<OAuthclients>", "<OAuthclients id=\"1\">"),
            4,
        ),
        (
            Rule::NotWellFormed,
            Whl,
            whl_with("<MedMijNode>a.example.nl</MedMijNod>\n"),
            5,
        ),
        (
            Rule::NotWellFormed,
            Gnl,
            gnl_with("") + "<Gegevensdienstnamenlijst/>",
            7,
        ),
        (
            Rule::NotWellFormed,
            Zal,
            zal_one(&ok).replace("R1", "R\u{1}"),
            7,
        ),
        (
            Rule::DoctypeRefused,
            Zal,
            format!(
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n{}",
                zal_one(&ok)
            ),
            1,
        ),
        (
            Rule::Encoding,
            Ocl,
            format!(
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n{}",
                ocl_with("")
            ),
            1,
        ),
    ]
}

#[test]
fn every_rule_has_a_document_that_triggers_it_on_the_right_line() {
    let mut wrong = Vec::new();
    for (rule, kind, doc, line) in cases() {
        match parse(kind, &doc) {
            Ok(()) => wrong.push(format!("{rule}: accepted")),
            Err(e) if (e.kind, e.rule, e.line) != (kind, rule, line) => {
                wrong.push(format!("{rule} line {line}: got {e}"))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for rule in Rule::ALL {
        assert!(
            cases().iter().any(|(r, ..)| *r == rule),
            "no case for {rule}"
        );
    }
}

#[test]
fn invalid_utf8_is_an_encoding_error_with_its_line() {
    let mut doc = zal_one(&good_service("4")).into_bytes();
    let at = doc.iter().position(|&b| b == b'R').unwrap();
    doc[at] = 0xff;
    let err = zal::parse(&doc).unwrap_err();
    assert_eq!((err.rule, err.line), (Rule::Encoding, 7));
}

#[test]
fn reports_the_column_of_the_offending_element() {
    let doc = zal_with(HEADER, &provider("umc@medmij.nl", &good_service("4")));
    let err = zal::parse(doc.as_bytes()).unwrap_err();
    assert_eq!((err.line, err.column), (5, 16));
    assert_eq!(
        err.to_string(),
        "zal line 5: Zorgaanbiedernaam \"umc@medmij.nl\" does not match [a-z]+@medmij (zorgaanbiedernaam_pattern)"
    );
}

#[test]
fn a_whitelist_mixing_both_forms_is_rejected() {
    let doc = whl_with(
        "<MedMijNode>a.example.nl</MedMijNode>\n<MedMijNode><Hostname>b.example.nl</Hostname></MedMijNode>\n",
    );
    assert_eq!(
        whl::parse(doc.as_bytes()).unwrap_err().rule,
        Rule::ElementOrder
    );
    let doc = whl_with(
        "<MedMijNode><Hostname>b.example.nl</Hostname></MedMijNode>\n<MedMijNode>a.example.nl</MedMijNode>\n",
    );
    assert_eq!(
        whl::parse(doc.as_bytes()).unwrap_err().rule,
        Rule::UnexpectedText
    );
}

#[test]
fn rule_names_are_unique_snake_case() {
    let names: std::collections::HashSet<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names.len(), Rule::ALL.len());
    assert!(
        names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    );
}
