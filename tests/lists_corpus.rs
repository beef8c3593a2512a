//! Differential corpus: every document under `tests/corpus/` is parsed by scopegate and the
//! verdict compared with the one recorded in `tests/corpus/verdicts.tsv` (xmllint's verdict
//! against the official XSDs, or the recorded deliberate divergence). `.ci/check-corpus`
//! re-derives the xmllint column; this test needs no outside tool.

use std::path::Path;

use scopegate::lists::{gnl, ocl, whl, zal};

fn corpus_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus"))
}

/// Which parser a corpus file is for, from its folder or file name.
fn parse(rel: &str, bytes: &[u8]) -> Result<(), String> {
    let kind = if rel.starts_with("mutations/zal/")
        || rel.contains("Zorgaanbiederslijst")
        || rel.contains("zal_")
    {
        "zal"
    } else if rel.starts_with("mutations/ocl/") || rel.contains("OAuthclientlist") {
        "ocl"
    } else if rel.starts_with("mutations/whl/")
        || rel.contains("Whitelist")
        || rel.contains("whitelist")
    {
        "whl"
    } else if rel.starts_with("mutations/gnl/") || rel.contains("Gegevensdienstnamenlijst") {
        "gnl"
    } else {
        panic!("cannot tell the list kind of {rel}");
    };
    let result = match kind {
        "zal" => zal::parse(bytes).map(drop),
        "ocl" => ocl::parse(bytes).map(drop),
        "whl" => whl::parse(bytes).map(drop),
        _ => gnl::parse(bytes).map(drop),
    };
    result.map_err(|e| e.to_string())
}

#[test]
fn scopegate_agrees_with_every_recorded_verdict() {
    let tsv = std::fs::read_to_string(corpus_dir().join("verdicts.tsv")).unwrap();
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "malformed row: {line}");
        let (rel, expected) = (cols[0], cols[3]);
        let bytes = std::fs::read(corpus_dir().join(rel)).unwrap();
        let got = match parse(rel, &bytes) {
            Ok(()) => "valid".to_string(),
            Err(e) => format!("invalid ({e})"),
        };
        if !got.starts_with(expected) || (expected == "valid" && got != "valid") {
            disagreements.push(format!("{rel}: recorded {expected}, scopegate says {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 14 + 4 * 30, "only {checked} corpus documents");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn every_corpus_document_has_a_recorded_verdict() {
    let tsv = std::fs::read_to_string(corpus_dir().join("verdicts.tsv")).unwrap();
    let recorded: std::collections::HashSet<&str> = tsv
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    for sub in ["examples", "mutations"] {
        let mut stack = vec![corpus_dir().join(sub)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "xml") {
                    let rel = path
                        .strip_prefix(corpus_dir())
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string();
                    assert!(recorded.contains(rel.as_str()), "{rel} has no verdict");
                }
            }
        }
    }
}
