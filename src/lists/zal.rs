//! The Zorgaanbiederslijst (ZAL): streaming parse and full XSD validation into [`Zal`].
//!
//! Accepts the release 1.0/1.1 form (`Zorgaanbieder = Zorgaanbiedernaam, Gegevensdiensten`,
//! with the stricter 1.1 length facets) and the later form SPEC §4 describes
//! (`Zorgaanbiedernaam, Aanbiedertype?, (Gegevensdiensten | Interfaceversies)`, where
//! `Interfaceversie = InterfaceversieId, Gegevensdiensten`; `Aanbiedertype` is skipped).
//! Builds the name index directly while reading; endpoint URIs are split once here.
//! Does not fetch, compare Volgnummers or swap lists: the refresher does that.

use std::collections::HashMap;

use super::error::{ListError, Rule, quoted};
use super::xml::{Cursor, El};
use super::xsd::{self, Violation};
use super::{ListKind, Systeemrol, Zal, ZalService, Zorgaanbieder};

/// The ZAL namespace (release 1.0, 1.1 and later).
pub const NAMESPACE: &str = "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release2/";

/// Parses and validates a whole document; see the module docs for the accepted forms.
pub fn parse(xml: &[u8]) -> Result<Zal, ListError> {
    let mut c = Cursor::new(ListKind::Zal, NAMESPACE, xml)?;
    c.root(El::Zorgaanbiederslijst)?;
    let header = c.header(El::Zorgaanbiederslijst)?;
    c.expect(El::Zorgaanbieders, El::Zorgaanbiederslijst)?;
    let mut zorgaanbieders = HashMap::new();
    while let Some(el) = c.child()? {
        if el != El::Zorgaanbieder {
            return Err(c.unexpected(el, El::Zorgaanbieders));
        }
        let za = zorgaanbieder(&mut c, &zorgaanbieders)?;
        zorgaanbieders.insert(za.naam.clone(), za);
    }
    c.expect_end(El::Zorgaanbiederslijst)?;
    c.finish()?;
    Ok(Zal {
        header,
        zorgaanbieders,
    })
}

fn id_length(what: &'static str) -> impl Fn(&str) -> Result<(), Violation> {
    move |s| xsd::length(s, 1, 30, what, Rule::IdLength)
}

fn zorgaanbieder(
    c: &mut Cursor<'_>,
    seen: &HashMap<Box<str>, Zorgaanbieder>,
) -> Result<Zorgaanbieder, ListError> {
    c.expect(El::Zorgaanbiedernaam, El::Zorgaanbieder)?;
    let (naam, ()) = c.value(xsd::zorgaanbiedernaam)?;
    if seen.contains_key(&*naam) {
        return Err(c.invalid(Violation {
            rule: Rule::UniqueZorgaanbieder,
            detail: format!("Zorgaanbiedernaam {} occurs twice", quoted(&naam)),
        }));
    }
    let mut next = c.child()?;
    if next == Some(El::Aanbiedertype) {
        c.skip()?;
        next = c.child()?;
    }
    let mut services = Vec::new();
    match next {
        Some(El::Gegevensdiensten) => gegevensdiensten(c, None, &mut services)?,
        Some(El::Interfaceversies) => interfaceversies(c, &mut services)?,
        Some(other) => return Err(c.unexpected(other, El::Zorgaanbieder)),
        None => return Err(c.missing(El::Gegevensdiensten, El::Zorgaanbieder)),
    }
    c.expect_end(El::Zorgaanbieder)?;
    Ok(Zorgaanbieder {
        naam: naam.into(),
        services,
    })
}

/// `Interfaceversie+`, each `InterfaceversieId, Gegevensdiensten`; the end tag is consumed.
fn interfaceversies(c: &mut Cursor<'_>, services: &mut Vec<ZalService>) -> Result<(), ListError> {
    let mut versions: Vec<Box<str>> = Vec::new();
    while let Some(el) = c.child()? {
        if el != El::Interfaceversie {
            return Err(c.unexpected(el, El::Interfaceversies));
        }
        c.expect(El::InterfaceversieId, El::Interfaceversie)?;
        let (version, ()) = c.value(id_length("InterfaceversieId"))?;
        if versions.iter().any(|v| **v == *version) {
            return Err(c.invalid(Violation {
                rule: Rule::UniqueInterfaceversie,
                detail: format!("InterfaceversieId {} occurs twice", quoted(&version)),
            }));
        }
        let version: Box<str> = version.into();
        versions.push(version.clone());
        c.expect(El::Gegevensdiensten, El::Interfaceversie)?;
        gegevensdiensten(c, Some(version), services)?;
        c.expect_end(El::Interfaceversie)?;
    }
    if versions.is_empty() {
        return Err(c.missing(El::Interfaceversie, El::Interfaceversies));
    }
    Ok(())
}

/// `Gegevensdienst+`, appended to `services`; the end tag is consumed.
fn gegevensdiensten(
    c: &mut Cursor<'_>,
    version: Option<Box<str>>,
    services: &mut Vec<ZalService>,
) -> Result<(), ListError> {
    let first = services.len();
    while let Some(el) = c.child()? {
        if el != El::Gegevensdienst {
            return Err(c.unexpected(el, El::Gegevensdiensten));
        }
        c.expect(El::GegevensdienstId, El::Gegevensdienst)?;
        let (id, ()) = c.value(id_length("GegevensdienstId"))?;
        if services[first..].iter().any(|s| *s.id == *id) {
            return Err(c.invalid(Violation {
                rule: Rule::UniqueGegevensdienst,
                detail: format!(
                    "GegevensdienstId {} occurs twice in one Gegevensdiensten",
                    quoted(&id)
                ),
            }));
        }
        c.expect(El::AuthorizationEndpoint, El::Gegevensdienst)?;
        c.expect(El::AuthorizationEndpointuri, El::AuthorizationEndpoint)?;
        let (_, authorization_endpoint) = c.value(xsd::frontchannel_uri)?;
        c.expect_end(El::AuthorizationEndpoint)?;
        c.expect(El::TokenEndpoint, El::Gegevensdienst)?;
        c.expect(El::TokenEndpointuri, El::TokenEndpoint)?;
        let (_, token_endpoint) = c.value(|s| xsd::backchannel_uri(s, "TokenEndpointuri"))?;
        c.expect_end(El::TokenEndpoint)?;
        c.expect(El::Systeemrollen, El::Gegevensdienst)?;
        let systeemrollen = systeemrollen(c)?;
        c.expect_end(El::Gegevensdienst)?;
        services.push(ZalService {
            id: id.into(),
            interfaceversie: version.clone(),
            authorization_endpoint,
            token_endpoint,
            systeemrollen,
        });
    }
    if services.len() == first {
        return Err(c.missing(El::Gegevensdienst, El::Gegevensdiensten));
    }
    Ok(())
}

/// `Systeemrol+`; the end tag is consumed.
fn systeemrollen(c: &mut Cursor<'_>) -> Result<Vec<Systeemrol>, ListError> {
    let mut rollen: Vec<Systeemrol> = Vec::new();
    while let Some(el) = c.child()? {
        if el != El::Systeemrol {
            return Err(c.unexpected(el, El::Systeemrollen));
        }
        c.expect(El::Systeemrolcode, El::Systeemrol)?;
        let (code, ()) = c.value(id_length("Systeemrolcode"))?;
        if rollen.iter().any(|r| *r.code == *code) {
            return Err(c.invalid(Violation {
                rule: Rule::UniqueSysteemrol,
                detail: format!(
                    "Systeemrolcode {} occurs twice in one Systeemrollen",
                    quoted(&code)
                ),
            }));
        }
        c.expect(El::ResourceEndpoint, El::Systeemrol)?;
        c.expect(El::ResourceEndpointuri, El::ResourceEndpoint)?;
        let (_, resource_endpoint) = c.value(|s| xsd::backchannel_uri(s, "ResourceEndpointuri"))?;
        c.expect_end(El::ResourceEndpoint)?;
        c.expect_end(El::Systeemrol)?;
        rollen.push(Systeemrol {
            code: code.into(),
            resource_endpoint,
        });
    }
    if rollen.is_empty() {
        return Err(c.missing(El::Systeemrol, El::Systeemrollen));
    }
    Ok(rollen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(zorgaanbieder_body: &str) -> String {
        format!(
            "<Zorgaanbiederslijst xmlns=\"{NAMESPACE}\"><Tijdstempel>2026-01-01T00:00:00Z</Tijdstempel>\
             <Volgnummer>1</Volgnummer><Zorgaanbieders><Zorgaanbieder>\
             <Zorgaanbiedernaam>umcharderwijk@medmij</Zorgaanbiedernaam>{zorgaanbieder_body}\
             </Zorgaanbieder></Zorgaanbieders></Zorgaanbiederslijst>"
        )
    }

    fn dienst(id: &str) -> String {
        format!(
            "<Gegevensdienst><GegevensdienstId>{id}</GegevensdienstId>\
             <AuthorizationEndpoint><AuthorizationEndpointuri>https://auth.umch.nl/v/{id}/authorize</AuthorizationEndpointuri></AuthorizationEndpoint>\
             <TokenEndpoint><TokenEndpointuri>https://auth.umch.nl:8443/token</TokenEndpointuri></TokenEndpoint>\
             <Systeemrollen><Systeemrol><Systeemrolcode>R</Systeemrolcode><ResourceEndpoint>\
             <ResourceEndpointuri>https://fhir.umch.nl/fhir</ResourceEndpointuri></ResourceEndpoint></Systeemrol></Systeemrollen>\
             </Gegevensdienst>"
        )
    }

    fn versie(id: &str, diensten: &str) -> String {
        format!(
            "<Interfaceversie><InterfaceversieId>{id}</InterfaceversieId><Gegevensdiensten>{diensten}</Gegevensdiensten></Interfaceversie>"
        )
    }

    fn rule_of(body: &str) -> Rule {
        parse(doc(body).as_bytes()).unwrap_err().rule
    }

    #[test]
    fn later_form_gives_one_service_per_interface_version() {
        let body = format!(
            "<Aanbiedertype>ziekenhuis</Aanbiedertype><Interfaceversies>{}{}</Interfaceversies>",
            versie("1", &(dienst("48") + &dienst("49"))),
            versie("2", &dienst("48"))
        );
        let zal = parse(doc(&body).as_bytes()).unwrap();
        let za = zal.get("umcharderwijk@medmij").unwrap();
        let entries: Vec<(&str, Option<&str>)> = za
            .services
            .iter()
            .map(|s| (&*s.id, s.interfaceversie.as_deref()))
            .collect();
        assert_eq!(
            entries,
            [("48", Some("1")), ("49", Some("1")), ("48", Some("2"))]
        );
        assert_eq!(za.service("48").count(), 2);
        assert!(za.offers("49"));
    }

    #[test]
    fn aanbiedertype_content_is_skipped_whatever_it_holds() {
        let body = format!(
            "<Aanbiedertype><Code>x</Code>text<Code/></Aanbiedertype><Gegevensdiensten>{}</Gegevensdiensten>",
            dienst("4")
        );
        let zal = parse(doc(&body).as_bytes()).unwrap();
        assert_eq!(
            zal.get("umcharderwijk@medmij").unwrap().services[0].interfaceversie,
            None
        );
    }

    #[test]
    fn rejects_aanbiedertype_after_the_services() {
        let body = format!(
            "<Gegevensdiensten>{}</Gegevensdiensten><Aanbiedertype/>",
            dienst("4")
        );
        assert_eq!(rule_of(&body), Rule::ElementOrder);
    }

    #[test]
    fn rejects_both_gegevensdiensten_and_interfaceversies() {
        let body = format!(
            "<Gegevensdiensten>{}</Gegevensdiensten><Interfaceversies>{}</Interfaceversies>",
            dienst("4"),
            versie("1", &dienst("4"))
        );
        assert_eq!(rule_of(&body), Rule::ElementOrder);
    }

    #[test]
    fn rejects_empty_interfaceversies() {
        assert_eq!(
            rule_of("<Interfaceversies></Interfaceversies>"),
            Rule::Cardinality
        );
    }

    #[test]
    fn rejects_an_interfaceversie_without_services() {
        assert_eq!(
            rule_of(&format!(
                "<Interfaceversies>{}</Interfaceversies>",
                versie("1", "")
            )),
            Rule::Cardinality
        );
    }

    #[test]
    fn rejects_an_interfaceversie_id_of_31_characters() {
        let body = format!(
            "<Interfaceversies>{}</Interfaceversies>",
            versie(&"v".repeat(31), &dienst("4"))
        );
        assert_eq!(rule_of(&body), Rule::IdLength);
    }

    #[test]
    fn rejects_a_duplicate_service_within_one_interface_version() {
        let body = format!(
            "<Interfaceversies>{}</Interfaceversies>",
            versie("1", &(dienst("4") + &dienst("4")))
        );
        assert_eq!(rule_of(&body), Rule::UniqueGegevensdienst);
    }

    #[test]
    fn rejects_a_zorgaanbieder_without_services() {
        assert_eq!(rule_of(""), Rule::Cardinality);
    }

    #[test]
    fn splits_endpoints_with_port_and_without_trailing_slash() {
        let upper = format!(
            "<Gegevensdiensten>{}</Gegevensdiensten>",
            dienst("4").replace("fhir.", "FHIR.")
        );
        // An uppercase host breaks the pattern: hosts are lowercase by the XSD.
        assert_eq!(rule_of(&upper), Rule::BackchannelUriPattern);
        let body = format!("<Gegevensdiensten>{}</Gegevensdiensten>", dienst("4"));
        let zal = parse(doc(&body).as_bytes()).unwrap();
        let s = &zal.get("umcharderwijk@medmij").unwrap().services[0];
        assert_eq!(
            (
                &*s.token_endpoint.host,
                s.token_endpoint.port,
                &*s.token_endpoint.path
            ),
            ("auth.umch.nl", Some(8443), "/token")
        );
        assert_eq!(&*s.authorization_endpoint.path, "/v/4/authorize");
    }
}
