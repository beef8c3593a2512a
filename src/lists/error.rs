//! Errors of list parsing: which list, where, which XSD rule, and a short detail.
//!
//! Every rejection of a list document carries a [`Rule`] from a closed set with a stable
//! snake_case name, so that logs, the admin API and tests can name the rule a document broke.
//! This module only describes errors; the parsers in the sibling modules produce them and the
//! list refresher reports them.

use super::ListKind;

/// The XSD (or SPEC §4) rule a list document broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// An element where the content model does not allow it (wrong name or position).
    ElementOrder,
    /// A required element is missing (too few occurrences).
    Cardinality,
    ZorgaanbiedernaamPattern,
    ZorgaanbiedernaamLength,
    HostnamePattern,
    BackchannelUriPattern,
    FrontchannelUriPattern,
    /// A port the XSD pattern accepts but no URI can carry (not ASCII, above 65535).
    PortRange,
    /// `GegevensdienstId`, `Systeemrolcode` or `InterfaceversieId` outside 1..30 characters.
    IdLength,
    /// `OAuthclientOrganisatienaam` outside 3..50 characters.
    OrganisatienaamLength,
    /// `Weergavenaam` outside 3..50 characters.
    WeergavenaamLength,
    UniqueZorgaanbieder,
    UniqueGegevensdienst,
    UniqueSysteemrol,
    UniqueHostname,
    /// The same `InterfaceversieId` twice under one `Interfaceversies` (later form).
    UniqueInterfaceversie,
    /// Not an `xs:dateTime` lexical form or value.
    Datetime,
    /// `Tijdstempel` without a time zone (SPEC §4; stricter than the XSD).
    Timezone,
    PositiveInteger,
    /// An element outside the list's namespace.
    Namespace,
    /// Non-whitespace text in element-only content.
    UnexpectedText,
    /// An attribute other than `xmlns*` and `xsi:schemaLocation`-like ones.
    UnexpectedAttribute,
    NotWellFormed,
    /// A `<!DOCTYPE>`: refused outright (no DTDs, no entities, no XXE).
    DoctypeRefused,
    /// Not UTF-8, or an XML declaration naming another encoding.
    Encoding,
}

impl Rule {
    /// Every rule, for tests and documentation.
    pub const ALL: [Rule; 25] = [
        Rule::ElementOrder,
        Rule::Cardinality,
        Rule::ZorgaanbiedernaamPattern,
        Rule::ZorgaanbiedernaamLength,
        Rule::HostnamePattern,
        Rule::BackchannelUriPattern,
        Rule::FrontchannelUriPattern,
        Rule::PortRange,
        Rule::IdLength,
        Rule::OrganisatienaamLength,
        Rule::WeergavenaamLength,
        Rule::UniqueZorgaanbieder,
        Rule::UniqueGegevensdienst,
        Rule::UniqueSysteemrol,
        Rule::UniqueHostname,
        Rule::UniqueInterfaceversie,
        Rule::Datetime,
        Rule::Timezone,
        Rule::PositiveInteger,
        Rule::Namespace,
        Rule::UnexpectedText,
        Rule::UnexpectedAttribute,
        Rule::NotWellFormed,
        Rule::DoctypeRefused,
        Rule::Encoding,
    ];

    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            Rule::ElementOrder => "element_order",
            Rule::Cardinality => "cardinality",
            Rule::ZorgaanbiedernaamPattern => "zorgaanbiedernaam_pattern",
            Rule::ZorgaanbiedernaamLength => "zorgaanbiedernaam_length",
            Rule::HostnamePattern => "hostname_pattern",
            Rule::BackchannelUriPattern => "backchannel_uri_pattern",
            Rule::FrontchannelUriPattern => "frontchannel_uri_pattern",
            Rule::PortRange => "port_range",
            Rule::IdLength => "id_length",
            Rule::OrganisatienaamLength => "organisatienaam_length",
            Rule::WeergavenaamLength => "weergavenaam_length",
            Rule::UniqueZorgaanbieder => "unique_zorgaanbieder",
            Rule::UniqueGegevensdienst => "unique_gegevensdienst",
            Rule::UniqueSysteemrol => "unique_systeemrol",
            Rule::UniqueHostname => "unique_hostname",
            Rule::UniqueInterfaceversie => "unique_interfaceversie",
            Rule::Datetime => "datetime",
            Rule::Timezone => "timezone",
            Rule::PositiveInteger => "positive_integer",
            Rule::Namespace => "namespace",
            Rule::UnexpectedText => "unexpected_text",
            Rule::UnexpectedAttribute => "unexpected_attribute",
            Rule::NotWellFormed => "not_well_formed",
            Rule::DoctypeRefused => "doctype_refused",
            Rule::Encoding => "encoding",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A list document rejected as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} line {line}: {detail} ({rule})", kind.name())]
pub struct ListError {
    pub kind: ListKind,
    /// 1-based line of the offending element or token.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    pub rule: Rule,
    /// Short human text; quoted values are truncated and escaped.
    pub detail: Box<str>,
}

/// Quotes a document value for an error detail: escaped, at most 60 characters.
pub(crate) fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = value.chars().take(MAX).collect();
    if value.chars().nth(MAX).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_kind_line_detail_and_rule_name() {
        let err = ListError {
            kind: ListKind::Zal,
            line: 12,
            column: 32,
            rule: Rule::ZorgaanbiedernaamPattern,
            detail: format!(
                "Zorgaanbiedernaam {} does not match [a-z]+@medmij",
                quoted("UMC@medmij")
            )
            .into(),
        };
        assert_eq!(
            err.to_string(),
            "zal line 12: Zorgaanbiedernaam \"UMC@medmij\" does not match [a-z]+@medmij (zorgaanbiedernaam_pattern)"
        );
    }

    #[test]
    fn quoting_truncates_long_values_and_escapes_newlines() {
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        assert_eq!(
            quoted(&"x".repeat(70)),
            format!("{:?}", "x".repeat(60) + "…")
        );
    }
}
