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
