//! The streaming XML reader shared by the four list parsers.
//!
//! A thin, strict layer over quick-xml's `NsReader` on a borrowed `&str`: it refuses what is
//! not UTF-8 or not well-formed (including what quick-xml lets through: characters outside
//! the XML `Char` production, bad entity references, `]]>` in text, content after the root),
//! refuses any `DOCTYPE`, requires every element to be in the list's namespace, allows only
//! `xmlns*` and `xsi:schemaLocation`/`xsi:noNamespaceSchemaLocation` attributes, and hands
//! the parsers element names as the closed [`El`] set and simple content as borrowed text
//! where possible. It knows nothing of any list's content model; `zal`, `ocl`, `whl` and
//! `gnl` drive it.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use super::error::{ListError, Rule, quoted};
use super::xsd::{self, Violation};
use super::{ListHeader, ListKind};

const XSI: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";

macro_rules! elements {
    ($($name:ident),* $(,)?) => {
        /// Every element name the MedMij lists use; anything else is [`El::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum El { $($name,)* Other }

        impl El {
            fn from_local(local: &[u8]) -> El {
                #[allow(non_upper_case_globals)]
                mod names { $(pub const $name: &[u8] = stringify!($name).as_bytes();)* }
                match local {
                    $(names::$name => El::$name,)*
                    _ => El::Other,
                }
            }

            pub const fn name(self) -> &'static str {
                match self { $(El::$name => stringify!($name),)* El::Other => "an unknown element" }
            }
        }
    };
}

elements!(
    Zorgaanbiederslijst,
    OAuthclientlist,
    Whitelist,
    Gegevensdienstnamenlijst,
    Tijdstempel,
    Volgnummer,
    Zorgaanbieders,
    Zorgaanbieder,
    Zorgaanbiedernaam,
    Aanbiedertype,
    Gegevensdiensten,
    Gegevensdienst,
    GegevensdienstId,
    AuthorizationEndpoint,
    AuthorizationEndpointuri,
    TokenEndpoint,
    TokenEndpointuri,
    Systeemrollen,
    Systeemrol,
    Systeemrolcode,
    ResourceEndpoint,
    ResourceEndpointuri,
    Interfaceversies,
    Interfaceversie,
    InterfaceversieId,
    OAuthclients,
    OAuthclient,
    Hostname,
    OAuthclientOrganisatienaam,
    Vertegenwoordiging,
    MedMijNodes,
    MedMijNode,
    Weergavenaam,
);

/// What an element of unknown form holds: text (possibly empty) or a first child element.
pub enum Content<'a> {
    Text(Cow<'a, str>),
    Child(El),
}

/// One token of the document after comments and processing instructions are dropped.
enum Tok<'a> {
    Start(El),
    End,
    Text(Cow<'a, str>),
    /// Text of XSD whitespace only (ASCII), left undecoded.
    Space(Cow<'a, [u8]>),
    Eof,
}

fn is_space_bytes(raw: &[u8]) -> bool {
    raw.iter()
        .all(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// A strict cursor over one list document.
pub struct Cursor<'a> {
    reader: NsReader<&'a [u8]>,
    input: &'a str,
    kind: ListKind,
    ns: &'static [u8],
    /// Open elements below and including the root.
    depth: usize,
    /// Byte offset of the token being read.
    token_pos: u64,
    /// Byte offset of the last element start, for value errors.
    element_pos: u64,
    /// Local name of the last [`El::Other`] seen, for error details.
    other_name: String,
    seen_first_event: bool,
    root_seen: bool,
}

impl<'a> Cursor<'a> {
    /// Checks the encoding and characters of the whole input and prepares the reader.
    pub fn new(kind: ListKind, ns: &'static str, bytes: &'a [u8]) -> Result<Cursor<'a>, ListError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let input = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let at = e.valid_up_to();
                let (line, column) = line_col(&String::from_utf8_lossy(&bytes[..at]), at);
                return Err(ListError {
                    kind,
                    line,
                    column,
                    rule: Rule::Encoding,
                    detail: format!("byte {at} is not UTF-8").into(),
                });
            }
        };
        let mut reader = NsReader::from_str(input);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        let cursor = Cursor {
            reader,
            input,
            kind,
            ns: ns.as_bytes(),
            depth: 0,
            token_pos: 0,
            element_pos: 0,
            other_name: String::new(),
            seen_first_event: false,
            root_seen: false,
        };
        if let Some(at) = first_non_xml_char(input) {
            return Err(cursor.error_at(
                at as u64,
                Rule::NotWellFormed,
                "a character XML does not allow".into(),
            ));
        }
        Ok(cursor)
    }

    /// An error at the start of the current token.
    pub fn error(&self, rule: Rule, detail: String) -> ListError {
        self.error_at(self.token_pos, rule, detail)
    }

    /// An error at the start of the last element, for a bad value.
    pub fn invalid(&self, v: Violation) -> ListError {
        self.error_at(self.element_pos, v.rule, v.detail)
    }

    fn error_at(&self, pos: u64, rule: Rule, detail: String) -> ListError {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.input.len());
        let pos = (0..=pos)
            .rev()
            .find(|&p| self.input.is_char_boundary(p))
            .unwrap_or(0);
        let (line, column) = line_col(&self.input[..pos], pos);
        ListError {
            kind: self.kind,
            line,
            column,
            rule,
            detail: detail.into(),
        }
    }

    fn name_of(&self, el: El) -> String {
        match el {
            El::Other => format!("element {}", quoted(&self.other_name)),
            known => known.name().to_string(),
        }
    }

    /// Reads the prolog and the root start tag, which must be `root`.
    pub fn root(&mut self, root: El) -> Result<(), ListError> {
        match self.next()? {
            Tok::Start(el) if el == root => Ok(()),
            Tok::Start(el) => Err(self.error(
                Rule::ElementOrder,
                format!("root is {}, not {}", self.name_of(el), root.name()),
            )),
            Tok::Text(_) | Tok::Space(_) => {
                Err(self.error(Rule::NotWellFormed, "text before the root element".into()))
            }
            Tok::End | Tok::Eof => Err(self.error(Rule::NotWellFormed, "no root element".into())),
        }
    }

    /// After the root's end tag: only comments, PIs and whitespace may follow.
    pub fn finish(&mut self) -> Result<(), ListError> {
        match self.next()? {
            Tok::Eof => Ok(()),
            _ => Err(self.error(Rule::NotWellFormed, "content after the root element".into())),
        }
    }

    /// `Tijdstempel` and `Volgnummer`, the first two children of every list's root.
    pub fn header(&mut self, root: El) -> Result<ListHeader, ListError> {
        self.expect(El::Tijdstempel, root)?;
        let text = self.text()?;
        let tijdstempel = xsd::tijdstempel(&text).map_err(|v| self.invalid(v))?;
        self.expect(El::Volgnummer, root)?;
        let text = self.text()?;
        let volgnummer = xsd::positive_integer(&text).map_err(|v| self.invalid(v))?;
        Ok(ListHeader {
            tijdstempel,
            volgnummer,
        })
    }

    /// Reads simple content and checks it with `check`, attributing a violation to the
    /// element just opened.
    pub fn value<T>(
        &mut self,
        check: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Result<(Cow<'a, str>, T), ListError> {
        let text = self.text()?;
        match check(&text) {
            Ok(t) => Ok((text, t)),
            Err(v) => Err(self.invalid(v)),
        }
    }

    /// The next child in element-only content, or `None` at the parent's end tag.
    pub fn child(&mut self) -> Result<Option<El>, ListError> {
        loop {
            match self.next()? {
                Tok::Start(el) => return Ok(Some(el)),
                Tok::End => return Ok(None),
                Tok::Space(_) => {}
                Tok::Text(t) if t.chars().all(super::xsd::is_space) => {}
                Tok::Text(t) => {
                    return Err(self.error(
                        Rule::UnexpectedText,
                        format!("text {} where only elements belong", quoted(t.trim())),
                    ));
                }
                Tok::Eof => {
                    return Err(self.error(
                        Rule::NotWellFormed,
                        "document ends inside an element".into(),
                    ));
                }
            }
        }
    }

    /// The next child must be `el` (in `parent`).
    pub fn expect(&mut self, el: El, parent: El) -> Result<(), ListError> {
        match self.child()? {
            Some(found) if found == el => Ok(()),
            Some(found) => Err(self.error(
                Rule::ElementOrder,
                format!(
                    "{} in {} where {} belongs",
                    self.name_of(found),
                    parent.name(),
                    el.name()
                ),
            )),
            None => Err(self.error(
                Rule::Cardinality,
                format!("{} lacks {}", parent.name(), el.name()),
            )),
        }
    }

    /// The parent must end here.
    pub fn expect_end(&mut self, parent: El) -> Result<(), ListError> {
        match self.child()? {
            None => Ok(()),
            Some(found) => Err(self.unexpected(found, parent)),
        }
    }

    /// An element `found` the content model of `parent` does not allow here.
    pub fn unexpected(&self, found: El, parent: El) -> ListError {
        self.error(
            Rule::ElementOrder,
            format!("unexpected {} in {}", self.name_of(found), parent.name()),
        )
    }

    /// A required child `el` of `parent` is missing.
    pub fn missing(&self, el: El, parent: El) -> ListError {
        self.error(
            Rule::Cardinality,
            format!("{} lacks {}", parent.name(), el.name()),
        )
    }

    /// The simple content of the element just opened, up to and including its end tag.
    pub fn text(&mut self) -> Result<Cow<'a, str>, ListError> {
        match self.content()? {
            Content::Text(t) => Ok(t),
            Content::Child(el) => Err(self.error(
                Rule::ElementOrder,
                format!("{} inside text-only content", self.name_of(el)),
            )),
        }
    }

    /// The content of an element that is either text-only or element-only: its text (end tag
    /// consumed) or its first child (start tag consumed, leading whitespace dropped).
    pub fn content(&mut self) -> Result<Content<'a>, ListError> {
        let mut acc: Option<Cow<'a, str>> = None;
        loop {
            let tok = match self.next()? {
                Tok::Space(raw) => Tok::Text(self.decode_text(raw)?),
                tok => tok,
            };
            match tok {
                Tok::Space(_) => {}
                Tok::Text(t) => {
                    acc = Some(match acc {
                        None => t,
                        Some(prev) => Cow::Owned(prev.into_owned() + &t),
                    })
                }
                Tok::End => return Ok(Content::Text(acc.unwrap_or(Cow::Borrowed("")))),
                Tok::Start(el) => {
                    return match acc {
                        Some(t) if !t.chars().all(super::xsd::is_space) => Err(self.error(
                            Rule::UnexpectedText,
                            format!(
                                "text {} beside element {}",
                                quoted(t.trim()),
                                self.name_of(el)
                            ),
                        )),
                        _ => Ok(Content::Child(el)),
                    };
                }
                Tok::Eof => {
                    return Err(self.error(
                        Rule::NotWellFormed,
                        "document ends inside an element".into(),
                    ));
                }
            }
        }
    }

    /// Skips the rest of the element just opened (its content is not checked beyond
    /// well-formedness and namespaces).
    pub fn skip(&mut self) -> Result<(), ListError> {
        let target = self.depth - 1;
        while self.depth > target {
            if let Tok::Eof = self.next()? {
                return Err(self.error(
                    Rule::NotWellFormed,
                    "document ends inside an element".into(),
                ));
            }
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Tok<'a>, ListError> {
        loop {
            self.token_pos = self.reader.buffer_position();
            let first = !self.seen_first_event;
            self.seen_first_event = true;
            let (resolved, event) = match self.reader.read_resolved_event() {
                Ok(ok) => ok,
                Err(e) => {
                    let pos = self.reader.error_position();
                    return Err(self.error_at(pos, Rule::NotWellFormed, e.to_string()));
                }
            };
            match event {
                Event::Start(start) => {
                    if self.depth == 0 && self.root_seen {
                        return Err(self.error(Rule::NotWellFormed, "a second root element".into()));
                    }
                    self.root_seen = true;
                    self.element_pos = self.token_pos;
                    self.depth += 1;
                    let ns_ok =
                        matches!(resolved, ResolveResult::Bound(Namespace(ns)) if ns == self.ns);
                    let local = start.local_name();
                    let el = El::from_local(local.as_ref());
                    if el == El::Other {
                        self.other_name = String::from_utf8_lossy(local.as_ref()).into_owned();
                    }
                    if !ns_ok {
                        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                        return Err(self.error(
                            Rule::Namespace,
                            format!(
                                "element {} is not in namespace {}",
                                quoted(&name),
                                String::from_utf8_lossy(self.ns)
                            ),
                        ));
                    }
                    self.check_attributes(&start)?;
                    return Ok(Tok::Start(el));
                }
                Event::End(_) => {
                    self.depth -= 1;
                    return Ok(Tok::End);
                }
                Event::Text(text) => {
                    if self.depth == 0 {
                        if is_space_bytes(&text) {
                            continue;
                        }
                        return Err(
                            self.error(Rule::NotWellFormed, "text outside the root element".into())
                        );
                    }
                    let raw = text.into_inner();
                    if is_space_bytes(&raw) {
                        return Ok(Tok::Space(raw));
                    }
                    return self.decode_text(raw).map(Tok::Text);
                }
                Event::CData(cdata) => {
                    if self.depth == 0 {
                        return Err(self
                            .error(Rule::NotWellFormed, "CDATA outside the root element".into()));
                    }
                    let text = self.utf8(cdata.into_inner())?;
                    if text.contains('\r') {
                        return Ok(Tok::Text(Cow::Owned(
                            normalize_newlines(&text).into_owned(),
                        )));
                    }
                    return Ok(Tok::Text(text));
                }
                Event::Decl(decl) => {
                    if !first {
                        return Err(self.error(
                            Rule::NotWellFormed,
                            "XML declaration not at the start".into(),
                        ));
                    }
                    if decl.version().is_err() {
                        return Err(self.error(
                            Rule::NotWellFormed,
                            "XML declaration without version".into(),
                        ));
                    }
                    match decl.encoding() {
                        None => {}
                        Some(Ok(enc)) if enc.eq_ignore_ascii_case(b"utf-8") => {}
                        Some(Ok(enc)) => {
                            return Err(self.error(
                                Rule::Encoding,
                                format!(
                                    "declared encoding {} is not UTF-8",
                                    quoted(&String::from_utf8_lossy(&enc))
                                ),
                            ));
                        }
                        Some(Err(e)) => return Err(self.error(Rule::NotWellFormed, e.to_string())),
                    }
                }
                Event::DocType(_) => {
                    return Err(self.error(
                        Rule::DoctypeRefused,
                        "DOCTYPE declarations are refused".into(),
                    ));
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Empty(_) => {
                    return Err(self.error(Rule::NotWellFormed, "unexpanded empty element".into()));
                }
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(self.error(
                            Rule::NotWellFormed,
                            "document ends inside an element".into(),
                        ));
                    }
                    return Ok(Tok::Eof);
                }
            }
        }
    }

    fn check_attributes(&self, start: &quick_xml::events::BytesStart<'_>) -> Result<(), ListError> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.error(Rule::NotWellFormed, e.to_string()))?;
            let value = std::str::from_utf8(attr.value.as_ref()).unwrap_or("<");
            if value.contains('<') || unescape(value).is_none() {
                return Err(self.error(Rule::NotWellFormed, "malformed attribute value".into()));
            }
            let key = attr.key.as_ref();
            if key == b"xmlns" || key.starts_with(b"xmlns:") {
                continue;
            }
            let (resolved, local) = self.reader.resolve_attribute(attr.key);
            let xsi = matches!(resolved, ResolveResult::Bound(Namespace(ns)) if ns == XSI);
            if !(xsi
                && matches!(
                    local.as_ref(),
                    b"schemaLocation" | b"noNamespaceSchemaLocation"
                ))
            {
                return Err(self.error(
                    Rule::UnexpectedAttribute,
                    format!(
                        "attribute {} is not allowed",
                        quoted(&String::from_utf8_lossy(key))
                    ),
                ));
            }
        }
        Ok(())
    }

    fn decode_text(&self, raw: Cow<'a, [u8]>) -> Result<Cow<'a, str>, ListError> {
        let text = self.utf8(raw)?;
        if text.contains("]]>") {
            return Err(self.error(Rule::NotWellFormed, "\"]]>\" in text".into()));
        }
        if !text.contains(['&', '\r']) {
            return Ok(text);
        }
        let normalized = normalize_newlines(&text);
        let unescaped = unescape(&normalized).ok_or_else(|| {
            self.error(
                Rule::NotWellFormed,
                "malformed entity or character reference".into(),
            )
        })?;
        Ok(Cow::Owned(unescaped.into_owned()))
    }

    fn utf8(&self, raw: Cow<'a, [u8]>) -> Result<Cow<'a, str>, ListError> {
        let bad = || self.error(Rule::Encoding, "text is not UTF-8".into());
        Ok(match raw {
            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(|_| bad())?),
            Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(|_| bad())?),
        })
    }
}

/// Byte offset of the first character outside XML's `Char` production, scanning in
/// vectorisable blocks (this runs over the whole document before parsing).
fn first_non_xml_char(input: &str) -> Option<usize> {
    let bad_byte = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    const BLOCK: usize = 64;
    let bytes = input.as_bytes();
    let control = bytes
        .chunks(BLOCK)
        .position(|block| block.iter().fold(false, |acc, &b| acc | bad_byte(b)))
        .and_then(|i| {
            let start = i * BLOCK;
            bytes[start..]
                .iter()
                .position(|&b| bad_byte(b))
                .map(|p| start + p)
        });
    let nonchar = [input.find('\u{FFFE}'), input.find('\u{FFFF}')]
        .into_iter()
        .flatten()
        .min();
    [control, nonchar].into_iter().flatten().min()
}

/// XML 1.0 `Char`, minus what valid UTF-8 already excludes.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML end-of-line handling: `\r\n` and lone `\r` become `\n`.
fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Expands the predefined entities and character references; `None` if malformed or
/// naming a character XML does not allow.
fn unescape(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('&') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';')?;
        let name = &after[..semi];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    u32::from_str_radix(hex, 16).ok()?
                } else if let Some(dec) = name.strip_prefix('#') {
                    if dec.is_empty() || !dec.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    dec.parse().ok()?
                } else {
                    return None;
                };
                char::from_u32(code).filter(|&c| is_xml_char(c))?
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// 1-based line and column (in characters) of the end of `before`.
fn line_col(before: &str, _pos: usize) -> (u32, u32) {
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "urn:test";

    /// Reads `<R xmlns="urn:test"><V>..</V></R>` and returns V's text.
    fn value_of(doc: &str) -> Result<String, ListError> {
        let mut c = Cursor::new(ListKind::Gnl, NS, doc.as_bytes())?;
        c.root(El::Whitelist)?;
        c.expect(El::Hostname, El::Whitelist)?;
        let text = c.text()?.into_owned();
        c.expect_end(El::Whitelist)?;
        c.finish()?;
        Ok(text)
    }

    fn wrap(inner: &str) -> String {
        format!("<Whitelist xmlns=\"{NS}\"><Hostname>{inner}</Hostname></Whitelist>")
    }

    #[test]
    fn text_joins_cdata_entities_and_comments() {
        assert_eq!(
            value_of(&wrap("a&amp;<!--x--><![CDATA[<b>]]>&#x43;")).unwrap(),
            "a&<b>C"
        );
    }

    #[test]
    fn line_ends_are_normalized_but_a_character_reference_cr_is_kept() {
        assert_eq!(value_of(&wrap("a\r\nb\rc&#13;")).unwrap(), "a\nb\nc\r");
    }

    #[test]
    fn rejects_a_character_reference_to_a_forbidden_character() {
        assert_eq!(
            value_of(&wrap("&#1;")).unwrap_err().rule,
            Rule::NotWellFormed
        );
    }

    #[test]
    fn rejects_cdata_end_marker_in_text() {
        assert_eq!(
            value_of(&wrap("a]]>b")).unwrap_err().rule,
            Rule::NotWellFormed
        );
    }

    #[test]
    fn accepts_schema_location_but_not_xsi_type() {
        let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
        let ok = format!(
            "<Whitelist xmlns=\"{NS}\" {xsi} xsi:schemaLocation=\"a b\"><Hostname>x</Hostname></Whitelist>"
        );
        assert_eq!(value_of(&ok).unwrap(), "x");
        let bad = format!(
            "<Whitelist xmlns=\"{NS}\" {xsi} xsi:type=\"t\"><Hostname>x</Hostname></Whitelist>"
        );
        assert_eq!(value_of(&bad).unwrap_err().rule, Rule::UnexpectedAttribute);
    }

    #[test]
    fn refuses_a_doctype_before_reading_any_entity() {
        let doc = format!(
            "<!DOCTYPE Whitelist [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
            wrap("&x;")
        );
        assert_eq!(value_of(&doc).unwrap_err().rule, Rule::DoctypeRefused);
    }

    #[test]
    fn a_utf8_bom_is_accepted_and_other_encodings_refused() {
        assert_eq!(value_of(&format!("\u{feff}{}", wrap("x"))).unwrap(), "x");
        let utf16 = format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?>{}", wrap("x"));
        assert_eq!(value_of(&utf16).unwrap_err().rule, Rule::Encoding);
    }

    #[test]
    fn rejects_an_xml_declaration_after_the_start() {
        let doc = format!(" <?xml version=\"1.0\"?>{}", wrap("x"));
        assert_eq!(value_of(&doc).unwrap_err().rule, Rule::NotWellFormed);
    }

    #[test]
    fn rejects_an_unclosed_root() {
        let doc = format!("<Whitelist xmlns=\"{NS}\"><Hostname>x</Hostname>");
        assert_eq!(value_of(&doc).unwrap_err().rule, Rule::NotWellFormed);
    }
}
