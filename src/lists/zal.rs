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
