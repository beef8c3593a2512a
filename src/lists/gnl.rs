//! The Gegevensdienstnamenlijst (GNL): streaming parse and XSD validation into [`Gnl`].
//!
//! Release 1.1 is the only form (namespace `.../gegevensdienstnamenlijst/release1/`):
//! `Gegevensdienst*`, each `GegevensdienstId` (1..30 characters, unique) and `Weergavenaam`
//! (3..50 characters). Used for display only; does not fetch or swap lists.

use std::collections::HashMap;

use super::error::{ListError, Rule, quoted};
use super::xml::{Cursor, El};
use super::xsd::{self, Violation};
use super::{Gnl, ListKind};

/// The GNL namespace.
pub const NAMESPACE: &str = "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/";

/// Parses and validates a whole document.
pub fn parse(xml: &[u8]) -> Result<Gnl, ListError> {
    let mut c = Cursor::new(ListKind::Gnl, NAMESPACE, xml)?;
    c.root(El::Gegevensdienstnamenlijst)?;
    let header = c.header(El::Gegevensdienstnamenlijst)?;
    c.expect(El::Gegevensdiensten, El::Gegevensdienstnamenlijst)?;
    let mut names: HashMap<Box<str>, Box<str>> = HashMap::new();
    while let Some(el) = c.child()? {
        if el != El::Gegevensdienst {
            return Err(c.unexpected(el, El::Gegevensdiensten));
        }
        c.expect(El::GegevensdienstId, El::Gegevensdienst)?;
        let (id, ()) = c.value(|s| xsd::length(s, 1, 30, "GegevensdienstId", Rule::IdLength))?;
        if names.contains_key(&*id) {
            return Err(c.invalid(Violation {
                rule: Rule::UniqueGegevensdienst,
                detail: format!("GegevensdienstId {} occurs twice", quoted(&id)),
            }));
        }
        c.expect(El::Weergavenaam, El::Gegevensdienst)?;
        let (naam, ()) =
            c.value(|s| xsd::length(s, 3, 50, "Weergavenaam", Rule::WeergavenaamLength))?;
        c.expect_end(El::Gegevensdienst)?;
        names.insert(id.into(), naam.into());
    }
    c.expect_end(El::Gegevensdienstnamenlijst)?;
    c.finish()?;
    Ok(Gnl { header, names })
}
