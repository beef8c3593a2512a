//! The bundled example configuration and lists in `config/` load as they are shipped.

use std::path::{Path, PathBuf};

use scopegate::lists::{gnl, ocl, whl, zal};

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// Every file under `dir` (recursively) whose name ends with `.ext`, sorted.
fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
                .path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_bundled_config_loads() {
    let configs = files_with(&config_dir(), "toml");
    assert!(!configs.is_empty(), "no *.toml under config/");
    for path in configs {
        if let Err(e) = scopegate::config::load(&path) {
            panic!("{} does not load:\n{e}", path.display());
        }
    }
}

#[test]
fn the_bundled_config_describes_the_example_dvza() {
    let c = scopegate::config::load(&config_dir().join("scopegate.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = c.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "umcharderwijk@medmij",
            "ziekenhuisamstelland@medmij",
            "huisartsenpraktijkdevries@medmij"
        ]
    );
    let glgs: Vec<(&str, &str, &str)> = c
        .glgs
        .iter()
        .map(|g| {
            (
                g.id.as_str(),
                g.copy_service.as_str(),
                g.original_service.as_str(),
            )
        })
        .collect();
    assert_eq!(
        glgs,
        [("glg-umch-51", "9051", "51"), ("glg-zha-48", "9048", "48")]
    );
    assert_eq!(
        c.lists.zal,
        scopegate::config::Source::File(config_dir().join("lists/MedMij_Zorgaanbiederslijst.xml"))
    );
}

/// The name of the root element of an XML document.
fn root_element(xml: &[u8]) -> String {
    let text = String::from_utf8_lossy(xml);
    text.split('<')
        .skip(1)
        .find(|tag| !tag.starts_with('?') && !tag.starts_with('!'))
        .and_then(|tag| tag.split(|c: char| c.is_whitespace() || c == '>').next())
        .unwrap_or("")
        .to_owned()
}

/// Parses a list with the parser its root element calls for.
fn parse_list(xml: &[u8]) -> Result<(), String> {
    let result = match root_element(xml).as_str() {
        "Zorgaanbiederslijst" => zal::parse(xml).map(drop),
        "OAuthclientlist" => ocl::parse(xml).map(drop),
        "Whitelist" => whl::parse(xml).map(drop),
        "Gegevensdienstnamenlijst" => gnl::parse(xml).map(drop),
        other => return Err(format!("unknown root element {other:?}")),
    };
    result.map_err(|e| e.to_string())
}

#[test]
fn every_bundled_list_parses() {
    let lists = files_with(&config_dir().join("lists"), "xml");
    assert_eq!(
        lists.len(),
        5,
        "expected the four lists and the later-form OCL: {lists:?}"
    );
    for path in lists {
        let xml = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = parse_list(&xml) {
            panic!("{} does not parse: {e}", path.display());
        }
    }
}
