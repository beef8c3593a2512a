//! No input bytes ever panic any of the four list parsers: random bytes, and valid
//! documents cut, spliced and sprinkled with XML syntax.

use proptest::prelude::*;
use scopegate::lists::{gnl, ocl, synth, whl, zal};

fn parse_all(bytes: &[u8]) {
    let _ = zal::parse(bytes);
    let _ = ocl::parse(bytes);
    let _ = whl::parse(bytes);
    let _ = gnl::parse(bytes);
}

static SEEDS: std::sync::LazyLock<Vec<Vec<u8>>> = std::sync::LazyLock::new(seeds);

fn seeds() -> Vec<Vec<u8>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/examples/release-1.1"
    );
    let mut docs: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    docs.push(synth::zal_xml(2).into_bytes());
    docs.push(synth::ocl_xml(2).into_bytes());
    docs
}

const SNIPPETS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&",
    "&#",
    "&#x",
    ";",
    "&amp;",
    "&#0;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?",
    "?>",
    "\"",
    "'",
    "=",
    " xmlns=\"\"",
    " xmlns:a=\"urn:a\"",
    "<a:",
    "<!DOCTYPE x>",
    "\u{feff}",
    "\r",
    "\u{0}",
    "\u{FFFF}",
    "é",
    "\u{0664}",
    ":",
    "//",
    "@medmij",
    "T24:00:00",
    "+14:00",
    "\u{ff}",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Byte(usize, u8),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 0usize..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Byte(at, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut doc: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = doc.len().max(1);
        match *e {
            Edit::Insert(at, s) => {
                let at = at % len;
                let at = at.min(doc.len());
                doc.splice(at..at, SNIPPETS[s].bytes());
            }
            Edit::Delete(at, n) => {
                let at = (at % len).min(doc.len());
                let end = (at + n).min(doc.len());
                doc.drain(at..end);
            }
            Edit::Byte(at, b) => {
                if !doc.is_empty() {
                    let at = at % doc.len();
                    doc[at] = b;
                }
            }
            Edit::Truncate(at) => doc.truncate(at % len),
        }
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_all(&bytes);
    }

    #[test]
    fn edited_valid_documents_never_panic(seed in 0usize..8, edits in proptest::collection::vec(edit(), 1..6)) {
        let doc = apply(SEEDS[seed % SEEDS.len()].clone(), &edits);
        parse_all(&doc);
    }
}
