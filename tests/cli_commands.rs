//! The operator commands of SPEC §2, run as the built binary against the bundled example
//! (`config/scopegate.toml`) and variations of it written to a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const AT: &str = "2026-12-03T12:00:00+01:00";
const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/scopegate.toml")
}

fn scopegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the scopegate binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The example config with `edit` applied, written next to absolute list paths.
fn variant(dir: &tempfile::TempDir, edit: impl Fn(String) -> String) -> PathBuf {
    let lists = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/lists/");
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/keys/");
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("\"lists/", &format!("\"{}", lists.display()))
        .replace("\"keys/", &format!("\"{}", keys.display()));
    let path = dir.path().join("scopegate.toml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

fn decide_json(client: &str, scope: &str, url: &str) -> (Option<i32>, Value) {
    let config = example();
    let o = scopegate(&[
        "decide",
        "--config",
        config.to_str().unwrap(),
        "--client",
        client,
        "--scope",
        scope,
        "--url",
        url,
        "--at",
        AT,
        "--json",
    ]);
    let v = serde_json::from_slice(&o.stdout).expect("decide --json prints one JSON object");
    (o.status.code(), v)
}

#[test]
fn check_accepts_the_bundled_example_and_exits_zero() {
    let config = example();
    let o = scopegate(&["check", "--config", config.to_str().unwrap(), "--at", AT]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("valid: 3 provider(s) served, 2 GLG(s)"),
        "{out}"
    );
}

#[test]
fn check_reports_a_glg_longer_than_three_months_with_its_code_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(&dir, |t| {
        t.replace("end = \"2027-01-31\"", "end = \"2027-02-01\"")
    });
    let o = scopegate(&["check", "--config", path.to_str().unwrap(), "--at", AT]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("error glg_too_long glg=glg-umch-51 ")),
        "{out}"
    );
    assert!(
        out.lines().last().unwrap().starts_with("invalid: "),
        "{out}"
    );
}

#[test]
fn check_names_the_file_key_and_line_of_an_unknown_config_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(&dir, |t| {
        t.replace("match_host = true", "match_hosts = true")
    });
    let o = scopegate(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let line = out.lines().next().unwrap();
    assert!(line.starts_with("error config_invalid "), "{out}");
    assert!(line.contains("scopegate.toml:"), "{out}");
    assert!(line.contains("match_hosts"), "{out}");
}

#[test]
fn check_reports_an_invalid_list_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("zal.xml");
    std::fs::write(&bad, "<Zorgaanbiederslijst/>").unwrap();
    let path = variant(&dir, |t| {
        let from = t.find("zal = \"").unwrap();
        let to = from + t[from..].find('\n').unwrap();
        format!("{}zal = \"{}\"{}", &t[..from], bad.display(), &t[to..])
    });
    let o = scopegate(&["check", "--config", path.to_str().unwrap(), "--at", AT]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("error list_invalid list=zal "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_warns_but_passes_when_a_glg_dvp_is_not_on_the_ocl() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(&dir, |t| {
        t.replace(
            "dvps = [\"medmij.deenigeechtepgo.nl\"]",
            "dvps = [\"medmij.deenigeechtepgo.nl\", \"nieuw.pgo.example.nl\"]",
        )
    });
    let o = scopegate(&["check", "--config", path.to_str().unwrap(), "--at", AT]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("warning glg_dvp_not_on_ocl glg=glg-umch-51 ")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn decide_json_allows_the_glg_dvp_on_the_copy_service_and_maps_it_to_the_original() {
    let (code, v) = decide_json(
        GLG_DVP,
        "umcharderwijk~9051",
        "https://medmij.umcharderwijk.nl/fhir-glg/Patient?_id=1",
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        v,
        json!({
            "decision": "allow",
            "reason": null,
            "provider": "umcharderwijk@medmij",
            "requested_service": "9051",
            "effective_service": "51",
            "glg": "glg-umch-51",
            "upstream": "http://127.0.0.1:8081/umcharderwijk/Patient?_id=1",
        })
    );
}

#[test]
fn decide_json_denies_a_non_glg_dvp_on_the_copy_service_and_exits_one() {
    let (code, v) = decide_json(
        OTHER_DVP,
        "umcharderwijk~9051",
        "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        v,
        json!({
            "decision": "deny",
            "reason": "copy_service_not_glg_dvp",
            "provider": "umcharderwijk@medmij",
            "requested_service": "9051",
            "effective_service": null,
            "glg": "glg-umch-51",
            "upstream": null,
        })
    );
}

#[test]
fn decide_json_denies_the_copy_service_of_the_ended_glg() {
    let (code, v) = decide_json(
        GLG_DVP,
        "ziekenhuisamstelland~9048",
        "https://fhir.ziekenhuisamstelland.nl/medmij/glg-bgz/Patient",
    );
    assert_eq!(code, Some(1));
    assert_eq!(v["reason"], "glg_not_active");
}

#[test]
fn decide_explains_a_denial_in_text_form() {
    let config = example();
    let o = scopegate(&[
        "decide",
        "--config",
        config.to_str().unwrap(),
        "--client",
        OTHER_DVP,
        "--scope",
        "umcharderwijk~9051",
        "--url",
        "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
        "--at",
        AT,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("decision           deny\n"), "{out}");
    assert!(
        out.contains("reason             copy_service_not_glg_dvp (pgocluster68.personalhealthprovider.net is not a DVP of glg-umch-51)"),
        "{out}"
    );
}

#[test]
fn decide_with_a_url_that_does_not_parse_is_a_usage_error() {
    let config = example();
    let o = scopegate(&[
        "decide",
        "--config",
        config.to_str().unwrap(),
        "--client",
        GLG_DVP,
        "--scope",
        "umcharderwijk~9051",
        "--url",
        "not a url",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn decide_without_a_required_argument_is_a_usage_error() {
    let config = example();
    let o = scopegate(&[
        "decide",
        "--config",
        config.to_str().unwrap(),
        "--client",
        GLG_DVP,
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_malformed_at_instant_is_a_usage_error() {
    let o = scopegate(&["glg", "status", "--at", "3 december"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn glg_status_json_gives_one_row_per_glg_with_the_contract_fields() {
    let config = example();
    let o = scopegate(&[
        "glg",
        "status",
        "--config",
        config.to_str().unwrap(),
        "--at",
        AT,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        json!([
            {
                "id": "glg-umch-51",
                "provider": "umcharderwijk@medmij",
                "copy_service": "9051",
                "original_service": "51",
                "phase": "active",
                "first_day": "2026-11-01",
                "last_day": "2027-02-28",
                "days_left": 88,
                "extension_used": true,
                "next_start_allowed": "2027-06-01",
            },
            {
                "id": "glg-zha-48",
                "provider": "ziekenhuisamstelland@medmij",
                "copy_service": "9048",
                "original_service": "48",
                "phase": "ended",
                "first_day": "2026-03-01",
                "last_day": "2026-05-31",
                "days_left": 0,
                "extension_used": false,
                "next_start_allowed": "2026-09-01",
            }
        ])
    );
}

#[test]
fn glg_status_shows_the_extension_phase_after_the_end_day() {
    let config = example();
    let o = scopegate(&[
        "glg",
        "status",
        "--config",
        config.to_str().unwrap(),
        "--at",
        "2027-02-10T09:00:00+01:00",
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["phase"], "extended");
    assert_eq!(v[0]["days_left"], 19);
}

#[test]
fn glg_status_prints_a_table_with_a_header_row() {
    let config = example();
    let o = scopegate(&[
        "glg",
        "status",
        "--config",
        config.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("GLG "));
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        row,
        [
            "glg-umch-51",
            "umcharderwijk@medmij",
            "9051",
            "51",
            "active",
            "2026-11-01",
            "2027-02-28",
            "88",
            "used",
            "2027-06-01"
        ]
    );
}

#[test]
fn audit_verify_reports_a_tampered_line_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = scopegate::audit::AuditLog::open(&scopegate::config::Audit {
            path: path.clone(),
            mode: scopegate::config::AuditMode::Durable,
        })
        .await
        .unwrap();
        for i in 0..3 {
            let rec = scopegate::audit::Record::new(
                chrono::Utc::now(),
                scopegate::audit::Kind::Resource,
                format!("req-{i}"),
                scopegate::audit::Decision::Allow,
                "GET",
                "/fhir/Patient",
            );
            log.record(rec).await.unwrap();
        }
        log.shutdown().await.unwrap();
    });
    let ok = scopegate(&["audit", "verify", path.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok), "ok: 3 records, hash chain intact\n");

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("req-1", "req-X", 1);
    std::fs::write(&path, text).unwrap();
    let broken = scopegate(&["audit", "verify", path.to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stdout(&broken).contains("line=2"), "{}", stdout(&broken));
}
