//! The OAuthclientlist (OCL): streaming parse and full XSD validation into [`Ocl`].
//!
//! Accepts the release 1.0/1.1 form (`OAuthclient = Hostname, OAuthclientOrganisatienaam`)
//! and the later form of SPEC §4: after the name an optional `Vertegenwoordiging` (skipped)
//! and optionally `Gegevensdiensten` (`Gegevensdienst*`, each `GegevensdienstId`) or
//! `Interfaceversies` (`Interfaceversie+`, each `InterfaceversieId, Gegevensdiensten`). A
//! client with such a list is qualified only for those ids (union over versions). Does not
//! fetch or swap lists.

use std::collections::{HashMap, HashSet};

use super::error::{ListError, Rule, quoted};
use super::xml::{Cursor, El};
use super::xsd::{self, Violation};
use super::{ListKind, OAuthClient, Ocl};

/// The OCL namespace (release 1.0, 1.1 and later).
pub const NAMESPACE: &str = "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/";

/// Parses and validates a whole document; see the module docs for the accepted forms.
pub fn parse(xml: &[u8]) -> Result<Ocl, ListError> {
    let mut c = Cursor::new(ListKind::Ocl, NAMESPACE, xml)?;
    c.root(El::OAuthclientlist)?;
    let header = c.header(El::OAuthclientlist)?;
    c.expect(El::OAuthclients, El::OAuthclientlist)?;
    let mut clients = HashMap::new();
    while let Some(el) = c.child()? {
        if el != El::OAuthclient {
            return Err(c.unexpected(el, El::OAuthclients));
        }
        let client = oauthclient(&mut c, &clients)?;
        clients.insert(client.hostname.clone(), client);
    }
    c.expect_end(El::OAuthclientlist)?;
    c.finish()?;
    Ok(Ocl { header, clients })
}

fn id_length(what: &'static str) -> impl Fn(&str) -> Result<(), Violation> {
    move |s| xsd::length(s, 1, 30, what, Rule::IdLength)
}

fn oauthclient(
    c: &mut Cursor<'_>,
    seen: &HashMap<Box<str>, OAuthClient>,
) -> Result<OAuthClient, ListError> {
    c.expect(El::Hostname, El::OAuthclient)?;
    let (hostname, ()) = c.value(xsd::hostname)?;
    if seen.contains_key(&*hostname) {
        return Err(c.invalid(Violation {
            rule: Rule::UniqueHostname,
            detail: format!("Hostname {} occurs twice", quoted(&hostname)),
        }));
    }
    c.expect(El::OAuthclientOrganisatienaam, El::OAuthclient)?;
    let (organisatienaam, ()) = c.value(|s| {
        xsd::length(
            s,
            3,
            50,
            "OAuthclientOrganisatienaam",
            Rule::OrganisatienaamLength,
        )
    })?;
    let mut next = c.child()?;
    if next == Some(El::Vertegenwoordiging) {
        c.skip()?;
        next = c.child()?;
    }
    let gegevensdiensten = match next {
        None => None,
        Some(El::Gegevensdiensten) => {
            let mut ids = HashSet::new();
            gegevensdiensten(c, &mut ids)?;
            c.expect_end(El::OAuthclient)?;
            Some(ids)
        }
        Some(El::Interfaceversies) => {
            let ids = interfaceversies(c)?;
            c.expect_end(El::OAuthclient)?;
            Some(ids)
        }
        Some(other) => return Err(c.unexpected(other, El::OAuthclient)),
    };
    Ok(OAuthClient {
        hostname: hostname.into(),
        organisatienaam: organisatienaam.into(),
        gegevensdiensten,
    })
}

/// `Interfaceversie+`; returns the union of their ids; the end tag is consumed.
fn interfaceversies(c: &mut Cursor<'_>) -> Result<HashSet<Box<str>>, ListError> {
    let mut ids = HashSet::new();
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
        versions.push(version.into());
        c.expect(El::Gegevensdiensten, El::Interfaceversie)?;
        gegevensdiensten(c, &mut ids)?;
        c.expect_end(El::Interfaceversie)?;
    }
    if versions.is_empty() {
        return Err(c.missing(El::Interfaceversie, El::Interfaceversies));
    }
    Ok(ids)
}

/// `Gegevensdienst*`, each just a `GegevensdienstId`; the end tag is consumed.
fn gegevensdiensten(c: &mut Cursor<'_>, ids: &mut HashSet<Box<str>>) -> Result<(), ListError> {
    while let Some(el) = c.child()? {
        if el != El::Gegevensdienst {
            return Err(c.unexpected(el, El::Gegevensdiensten));
        }
        c.expect(El::GegevensdienstId, El::Gegevensdienst)?;
        let (id, ()) = c.value(id_length("GegevensdienstId"))?;
        c.expect_end(El::Gegevensdienst)?;
        ids.insert(id.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(client_tail: &str) -> String {
        format!(
            "<OAuthclientlist xmlns=\"{NAMESPACE}\"><Tijdstempel>2026-01-01T00:00:00+01:00</Tijdstempel>\
             <Volgnummer>3</Volgnummer><OAuthclients><OAuthclient><Hostname>pgo.example.nl</Hostname>\
             <OAuthclientOrganisatienaam>PGO</OAuthclientOrganisatienaam>{client_tail}</OAuthclient>\
             </OAuthclients></OAuthclientlist>"
        )
    }

    fn ids(list: &[&str]) -> String {
        list.iter()
            .map(|id| {
                format!(
                    "<Gegevensdienst><GegevensdienstId>{id}</GegevensdienstId></Gegevensdienst>"
                )
            })
            .collect()
    }

    fn client(tail: &str) -> OAuthClient {
        let ocl = parse(doc(tail).as_bytes()).unwrap();
        ocl.get("pgo.example.nl").unwrap().clone()
    }

    fn rule_of(tail: &str) -> Rule {
        parse(doc(tail).as_bytes()).unwrap_err().rule
    }

    #[test]
    fn release_1_client_is_qualified_for_every_service() {
        let c = client("");
        assert_eq!(c.gegevensdiensten, None);
        assert!(c.qualified_for("9051"));
    }

    #[test]
    fn later_form_client_is_qualified_only_for_its_listed_services() {
        let c = client(&format!(
            "<Vertegenwoordiging><X/></Vertegenwoordiging><Gegevensdiensten>{}</Gegevensdiensten>",
            ids(&["48", "49"])
        ));
        assert!(c.qualified_for("48") && c.qualified_for("49"));
        assert!(!c.qualified_for("51"));
    }

    #[test]
    fn interface_versions_qualify_for_the_union_of_their_services() {
        let c = client(&format!(
            "<Interfaceversies><Interfaceversie><InterfaceversieId>1</InterfaceversieId><Gegevensdiensten>{}</Gegevensdiensten></Interfaceversie>\
             <Interfaceversie><InterfaceversieId>2</InterfaceversieId><Gegevensdiensten>{}</Gegevensdiensten></Interfaceversie></Interfaceversies>",
            ids(&["48"]),
            ids(&["51"])
        ));
        let mut got: Vec<&str> = c
            .gegevensdiensten
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| &**s)
            .collect();
        got.sort();
        assert_eq!(got, ["48", "51"]);
    }

    #[test]
    fn an_empty_service_list_qualifies_for_nothing() {
        let c = client("<Gegevensdiensten/>");
        assert_eq!(c.gegevensdiensten.as_ref().map(HashSet::len), Some(0));
        assert!(!c.qualified_for("48"));
    }

    #[test]
    fn rejects_vertegenwoordiging_after_the_services() {
        assert_eq!(
            rule_of("<Gegevensdiensten/><Vertegenwoordiging/>"),
            Rule::ElementOrder
        );
    }

    #[test]
    fn rejects_a_zal_style_service_entry() {
        let tail = "<Gegevensdiensten><Gegevensdienst><GegevensdienstId>4</GegevensdienstId><AuthorizationEndpoint/></Gegevensdienst></Gegevensdiensten>";
        assert_eq!(rule_of(tail), Rule::ElementOrder);
    }

    #[test]
    fn rejects_a_service_id_of_31_characters() {
        assert_eq!(
            rule_of(&format!(
                "<Gegevensdiensten>{}</Gegevensdiensten>",
                ids(&[&"1".repeat(31)])
            )),
            Rule::IdLength
        );
    }

    #[test]
    fn rejects_an_interfaceversie_without_its_id() {
        let tail = format!(
            "<Interfaceversies><Interfaceversie><Gegevensdiensten>{}</Gegevensdiensten></Interfaceversie></Interfaceversies>",
            ids(&["4"])
        );
        assert_eq!(rule_of(&tail), Rule::ElementOrder);
    }

    #[test]
    fn rejects_empty_interfaceversies() {
        assert_eq!(rule_of("<Interfaceversies/>"), Rule::Cardinality);
    }

    #[test]
    fn rejects_a_duplicate_interfaceversie() {
        let v = "<Interfaceversie><InterfaceversieId>1</InterfaceversieId><Gegevensdiensten/></Interfaceversie>";
        assert_eq!(
            rule_of(&format!("<Interfaceversies>{v}{v}</Interfaceversies>")),
            Rule::UniqueInterfaceversie
        );
    }
}
