//! The Whitelist (WHL) of MedMij node hostnames: streaming parse and XSD validation.
//!
//! Both published forms share one namespace: release 1.0 has `<MedMijNode>host</MedMijNode>`
//! (at least one node), release 1.1 `<MedMijNode><Hostname>host</Hostname></MedMijNode>`
//! (zero or more). A document is valid when either XSD accepts it, so the first node fixes
//! the form and every other node must use it. Does not fetch or swap lists.

use std::collections::HashSet;

use super::error::{ListError, Rule, quoted};
use super::xml::{Content, Cursor, El};
use super::xsd::{self, Violation};
use super::{ListKind, Whl};

/// The WHL namespace (release 1.0 and 1.1).
pub const NAMESPACE: &str = "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `<MedMijNode>host</MedMijNode>`
    Release10,
    /// `<MedMijNode><Hostname>host</Hostname></MedMijNode>`
    Release11,
}

/// Parses and validates a whole document in either form.
pub fn parse(xml: &[u8]) -> Result<Whl, ListError> {
    let mut c = Cursor::new(ListKind::Whl, NAMESPACE, xml)?;
    c.root(El::Whitelist)?;
    let header = c.header(El::Whitelist)?;
    c.expect(El::MedMijNodes, El::Whitelist)?;
    let mut hosts: HashSet<Box<str>> = HashSet::new();
    let mut form = None;
    while let Some(el) = c.child()? {
        if el != El::MedMijNode {
            return Err(c.unexpected(el, El::MedMijNodes));
        }
        let host = match (c.content()?, form) {
            (Content::Child(El::Hostname), None | Some(Form::Release11)) => {
                form = Some(Form::Release11);
                let (host, ()) = c.value(xsd::hostname)?;
                c.expect_end(El::MedMijNode)?;
                host
            }
            (Content::Child(other), _) => return Err(c.unexpected(other, El::MedMijNode)),
            (Content::Text(text), Some(Form::Release11)) => {
                return Err(if text.chars().all(xsd::is_space) {
                    c.missing(El::Hostname, El::MedMijNode)
                } else {
                    c.error(
                        Rule::UnexpectedText,
                        format!("text {} in a release 1.1 MedMijNode", quoted(&text)),
                    )
                });
            }
            (Content::Text(text), None | Some(Form::Release10)) => {
                form = Some(Form::Release10);
                xsd::hostname(&text).map_err(|v| c.invalid(v))?;
                text
            }
        };
        if hosts.contains(&*host) {
            return Err(c.invalid(Violation {
                rule: Rule::UniqueHostname,
                detail: format!("MedMijNode {} occurs twice", quoted(&host)),
            }));
        }
        hosts.insert(host.into());
    }
    c.expect_end(El::Whitelist)?;
    c.finish()?;
    Ok(Whl { header, hosts })
}
