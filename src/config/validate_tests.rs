//! Tests for loading (`parse`, `validate`, `entries`): one behaviour each, on small configs
//! built from `MINIMAL`.

use super::*;
use crate::config::UrlProblem;
use crate::glg::Glg;

/// The smallest valid file: only required keys. Line numbers below refer to it.
const MINIMAL: &str = r#"[lists]
zal = "lists/zal.xml"
ocl = "lists/ocl.xml"

[tokens]
issuer = "https://auth.dvza.example.nl"
jwks = "keys/jwks.json"

[[providers]]
name = "umcharderwijk@medmij"
upstream = "http://127.0.0.1:8081/fhir"

[audit]
path = "audit/a.jsonl"
"#;

/// Line of the first line appended to `MINIMAL` by `with`.
const APPENDED: usize = 16;

const AT: &str = "/etc/scopegate/scopegate.toml";

fn with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

fn ok(text: &str) -> Config {
    match load_str(text, Some(Path::new(AT))) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

fn issues(text: &str) -> Vec<Issue> {
    match load_str(text, Some(Path::new(AT))) {
        Ok(_) => panic!("expected issues, the config was accepted"),
        Err(e) => e.issues().to_vec(),
    }
}

/// The single issue of `text`, as (line, key, problem).
fn only(text: &str) -> (Option<usize>, String, Problem) {
    let mut all = issues(text);
    assert_eq!(all.len(), 1, "expected one issue, got {all:?}");
    let i = all.remove(0);
    (i.line, i.key, i.problem)
}

fn unknown_key_at(text: &str) -> (Option<usize>, String) {
    match only(text) {
        (line, key, Problem::UnknownKey { .. }) => (line, key),
        other => panic!("expected an unknown key, got {other:?}"),
    }
}

#[test]
fn fills_in_every_default() {
    let c = ok(MINIMAL);
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.admin_listen.to_string(), "127.0.0.1:9090");
    assert!(c.server.match_host);
    assert_eq!(c.server.request_timeout, Duration::from_secs(55));
    assert_eq!(c.server.header_read_timeout, Duration::from_secs(10));
    assert_eq!(c.server.max_header_bytes, 16_384);
    assert_eq!(c.server.max_body_bytes, 10_485_760);
    assert!(c.server.tls.is_none());
    assert_eq!(c.server.upstream_ca, None);
    assert_eq!(c.lists.whl, None);
    assert_eq!(c.lists.gnl, None);
    assert_eq!(c.lists.refresh_interval, Duration::from_secs(300));
    assert_eq!(c.lists.max_stale, Duration::from_secs(86_400));
    assert_eq!(c.lists.max_bytes, 1 << 30);
    assert_eq!(c.tokens.mode, TokenMode::Jwt);
    assert_eq!(c.tokens.audience, None);
    assert_eq!(
        c.tokens.algorithms,
        vec![
            jsonwebtoken::Algorithm::RS256,
            jsonwebtoken::Algorithm::ES256
        ]
    );
    assert_eq!(c.tokens.leeway, Duration::from_secs(30));
    assert_eq!(c.tokens.scope_claim, "scope");
    assert_eq!(c.tokens.client_claim, "client_id");
    assert!(c.tokens.forward_authorization);
    assert!(c.tokens.introspection.is_none());
    assert!(c.authorization_server.is_none());
    assert!(c.glgs.is_empty());
    assert_eq!(c.audit.mode, AuditMode::Durable);
}

#[test]
fn resolves_relative_paths_against_the_config_folder() {
    let c = ok(MINIMAL);
    assert_eq!(
        c.lists.zal,
        Source::File(PathBuf::from("/etc/scopegate/lists/zal.xml"))
    );
    assert_eq!(
        c.tokens.jwks,
        Some(Source::File(PathBuf::from("/etc/scopegate/keys/jwks.json")))
    );
    assert_eq!(c.audit.path, PathBuf::from("/etc/scopegate/audit/a.jsonl"));
    assert_eq!(c.path, Some(PathBuf::from(AT)));
    assert_eq!(c.base_dir(), Some(Path::new("/etc/scopegate")));
}

#[test]
fn resolves_relative_paths_against_the_current_folder_without_a_file() {
    let c = load_str(MINIMAL, None).ok();
    let cwd = std::env::current_dir().ok();
    assert_eq!(
        c.map(|c| c.lists.zal),
        cwd.map(|d| Source::File(d.join("lists/zal.xml")))
    );
}

#[test]
fn keeps_absolute_paths_and_urls_as_they_are() {
    let c = ok(&MINIMAL
        .replace("lists/zal.xml", "/srv/lists/zal.xml")
        .replace("lists/ocl.xml", "https://lists.medmij.nl/ocl.xml"));
    assert_eq!(
        c.lists.zal,
        Source::File(PathBuf::from("/srv/lists/zal.xml"))
    );
    assert_eq!(c.lists.ocl.to_string(), "https://lists.medmij.nl/ocl.xml");
}

#[test]
fn resolves_tls_and_introspection_paths_against_the_config_folder() {
    let c = ok(&with(
        "[server.tls]\ncert = \"tls/server.pem\"\nkey = \"tls/server.key\"\n\
         [tokens.introspection]\nurl = \"https://auth.example.nl/introspect\"\n\
         client_id = \"scopegate\"\nclient_secret_file = \"keys/introspection.secret\"\n",
    ));
    let tls = c
        .server
        .tls
        .as_ref()
        .map(|t| (t.cert.clone(), t.key.clone()));
    assert_eq!(
        tls,
        Some((
            PathBuf::from("/etc/scopegate/tls/server.pem"),
            PathBuf::from("/etc/scopegate/tls/server.key")
        ))
    );
    assert_eq!(
        c.tokens.introspection.map(|i| i.client_secret_file),
        Some(PathBuf::from("/etc/scopegate/keys/introspection.secret"))
    );
}

#[test]
fn accepts_jwt_mode_with_a_jwks_and_algorithms() {
    let c = ok(&MINIMAL.replace(
        "jwks = ",
        "mode = \"jwt\"\nalgorithms = [\"ES256\", \"PS256\"]\njwks = ",
    ));
    assert_eq!(c.tokens.mode, TokenMode::Jwt);
    assert_eq!(
        c.tokens.algorithms,
        vec![
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::Algorithm::PS256
        ]
    );
}

#[test]
fn accepts_introspection_mode_without_a_jwks() {
    let text = MINIMAL.replace("jwks = \"keys/jwks.json\"", "mode = \"introspection\"")
        + "\n[tokens.introspection]\nurl = \"http://127.0.0.1:8082/introspect\"\n\
           client_id = \"scopegate\"\nclient_secret_file = \"keys/s\"\ncache_ttl = \"15s\"\n";
    let c = ok(&text);
    assert_eq!(c.tokens.mode, TokenMode::Introspection);
    assert_eq!(c.tokens.jwks, None);
    let i = c
        .tokens
        .introspection
        .map(|i| (i.url.to_string(), i.client_id, i.cache_ttl));
    assert_eq!(
        i,
        Some((
            "http://127.0.0.1:8082/introspect".into(),
            "scopegate".into(),
            Duration::from_secs(15)
        ))
    );
}

#[test]
fn refuses_jwt_mode_without_a_jwks() {
    let text = MINIMAL.replace("jwks = \"keys/jwks.json\"\n", "");
    assert_eq!(
        only(&text),
        (
            Some(5),
            "tokens.jwks".into(),
            Problem::RequiredForMode { mode: "jwt" }
        )
    );
}

#[test]
fn refuses_introspection_mode_without_its_table() {
    let text = MINIMAL.replace("jwks = \"keys/jwks.json\"", "mode = \"introspection\"");
    assert_eq!(
        only(&text),
        (
            Some(5),
            "tokens.introspection".into(),
            Problem::RequiredForMode {
                mode: "introspection"
            }
        )
    );
}

#[test]
fn refuses_an_introspection_table_without_its_required_keys() {
    let keys: Vec<String> = issues(&with("[tokens.introspection]\ncache_ttl = \"5s\"\n"))
        .into_iter()
        .map(|i| i.key)
        .collect();
    assert_eq!(
        keys,
        [
            "tokens.introspection.url",
            "tokens.introspection.client_id",
            "tokens.introspection.client_secret_file"
        ]
    );
}

#[test]
fn refuses_an_unknown_token_mode() {
    let text = MINIMAL.replace("jwks = ", "mode = \"opaque\"\njwks = ");
    assert_eq!(
        only(&text),
        (
            Some(7),
            "tokens.mode".into(),
            Problem::NotOneOf {
                value: "opaque".into(),
                expected: "\"jwt\", \"introspection\""
            }
        )
    );
}

#[test]
fn names_an_unknown_top_level_key_with_its_line() {
    assert_eq!(
        unknown_key_at(&format!("colour = \"blue\"\n{MINIMAL}")),
        (Some(1), "colour".into())
    );
}

#[test]
fn names_an_unknown_key_in_server_with_its_line() {
    assert_eq!(
        unknown_key_at(&with("[server]\nlisten = \"127.0.0.1:1\"\nport = 1\n")),
        (Some(APPENDED + 2), "server.port".into())
    );
}

#[test]
fn names_an_unknown_key_in_server_tls_with_its_line() {
    assert_eq!(
        unknown_key_at(&with(
            "[server.tls]\ncert = \"a\"\nkey = \"b\"\nca = \"c\"\n"
        )),
        (Some(APPENDED + 3), "server.tls.ca".into())
    );
}

#[test]
fn names_an_unknown_key_in_lists_with_its_line() {
    let text = MINIMAL.replace("ocl = ", "zal_url = \"x\"\nocl = ");
    assert_eq!(unknown_key_at(&text), (Some(3), "lists.zal_url".into()));
}

#[test]
fn names_an_unknown_key_in_tokens_with_its_line() {
    let text = MINIMAL.replace("jwks = ", "audiences = [\"a\"]\njwks = ");
    assert_eq!(unknown_key_at(&text), (Some(7), "tokens.audiences".into()));
}

#[test]
fn names_an_unknown_key_in_tokens_introspection_with_its_line() {
    assert_eq!(
        unknown_key_at(&with("[tokens.introspection]\nsecret = \"x\"\n")),
        (Some(APPENDED + 1), "tokens.introspection.secret".into())
    );
}

#[test]
fn names_an_unknown_key_in_authorization_server_with_its_line() {
    assert_eq!(
        unknown_key_at(&with(
            "[authorization_server]\nurl = \"http://127.0.0.1:1\"\n"
        )),
        (Some(APPENDED + 1), "authorization_server.url".into())
    );
}

#[test]
fn names_an_unknown_key_in_the_second_provider_with_its_index_and_line() {
    let text = with("[[providers]]\nname = \"ziekenhuisamstelland@medmij\"\nupstrem = \"x\"\n");
    assert_eq!(
        unknown_key_at(&text),
        (Some(APPENDED + 2), "providers[1].upstrem".into())
    );
}

#[test]
fn names_an_unknown_key_in_a_glg_with_its_index_and_line() {
    assert_eq!(
        unknown_key_at(&with("[[glg]]\nid = \"g\"\nduration = \"3m\"\n")),
        (Some(APPENDED + 2), "glg[0].duration".into())
    );
}

#[test]
fn names_an_unknown_key_in_audit_with_its_line() {
    let text = MINIMAL.replace("path = \"audit", "fsync = true\npath = \"audit");
    assert_eq!(unknown_key_at(&text), (Some(14), "audit.fsync".into()));
}

#[test]
fn says_which_keys_are_allowed_where_an_unknown_one_is() {
    let text = MINIMAL.replace("[audit]\n", "[audit]\nmod = \"durable\"\n");
    assert_eq!(
        only(&text).2,
        Problem::UnknownKey {
            expected: "expected `path` or `mode`".into()
        }
    );
}

#[test]
fn names_a_value_of_the_wrong_type_with_its_key_and_line() {
    let (line, key, problem) = only(&with("[server]\nmax_body_bytes = \"10MB\"\n"));
    assert_eq!(
        (line, key.as_str()),
        (Some(APPENDED + 1), "server.max_body_bytes")
    );
    assert!(matches!(problem, Problem::WrongType { .. }));
}

#[test]
fn names_the_line_of_a_toml_syntax_error() {
    let (line, key, problem) = only("[lists]\nzal = \"a\"\nocl = \n");
    assert_eq!((line, key.as_str()), (Some(3), ""));
    assert!(matches!(problem, Problem::Syntax { .. }));
}

#[test]
fn requires_the_lists_table() {
    let text = MINIMAL.replace(
        "[lists]\nzal = \"lists/zal.xml\"\nocl = \"lists/ocl.xml\"\n",
        "",
    );
    assert_eq!(only(&text), (None, "lists".into(), Problem::Missing));
}

#[test]
fn requires_the_zal_and_the_ocl() {
    let text = MINIMAL.replace("zal = \"lists/zal.xml\"\nocl = \"lists/ocl.xml\"\n", "");
    let found: Vec<_> = issues(&text)
        .into_iter()
        .map(|i| (i.line, i.key, i.problem))
        .collect();
    assert_eq!(
        found,
        [
            (Some(1), "lists.zal".to_owned(), Problem::Missing),
            (Some(1), "lists.ocl".to_owned(), Problem::Missing)
        ]
    );
}

#[test]
fn requires_the_tokens_table() {
    let text = MINIMAL.replace(
        "[tokens]\nissuer = \"https://auth.dvza.example.nl\"\njwks = \"keys/jwks.json\"\n",
        "",
    );
    assert_eq!(only(&text), (None, "tokens".into(), Problem::Missing));
}

#[test]
fn requires_the_issuer() {
    let text = MINIMAL.replace("issuer = \"https://auth.dvza.example.nl\"\n", "");
    assert_eq!(
        only(&text),
        (Some(5), "tokens.issuer".into(), Problem::Missing)
    );
}

#[test]
fn refuses_an_empty_issuer() {
    let text = MINIMAL.replace("\"https://auth.dvza.example.nl\"", "\"\"");
    assert_eq!(
        only(&text),
        (Some(6), "tokens.issuer".into(), Problem::Empty)
    );
}

#[test]
fn requires_the_audit_table() {
    let text = MINIMAL.replace("[audit]\npath = \"audit/a.jsonl\"\n", "");
    assert_eq!(only(&text), (None, "audit".into(), Problem::Missing));
}

#[test]
fn requires_the_audit_path() {
    let text = MINIMAL.replace("path = \"audit/a.jsonl\"\n", "mode = \"buffered\"\n");
    assert_eq!(
        only(&text),
        (Some(13), "audit.path".into(), Problem::Missing)
    );
}

#[test]
fn refuses_an_unknown_audit_mode() {
    let text = with("").replace("[audit]\n", "[audit]\nmode = \"async\"\n");
    assert_eq!(
        only(&text),
        (
            Some(14),
            "audit.mode".into(),
            Problem::NotOneOf {
                value: "async".into(),
                expected: "\"durable\", \"buffered\""
            }
        )
    );
}

#[test]
fn accepts_buffered_audit() {
    let c = ok(&MINIMAL.replace("[audit]\n", "[audit]\nmode = \"buffered\"\n"));
    assert_eq!(c.audit.mode, AuditMode::Buffered);
}

#[test]
fn requires_at_least_one_provider() {
    let text = MINIMAL.replace(
        "[[providers]]\nname = \"umcharderwijk@medmij\"\nupstream = \"http://127.0.0.1:8081/fhir\"\n",
        "",
    );
    assert_eq!(only(&text), (None, "providers".into(), Problem::Missing));
}

#[test]
fn reports_every_issue_at_once_in_file_order() {
    let text = with("[server]\nlisten = \"localhost\"\n[[glg]]\nid = \"\"\n")
        .replace("\"lists/zal.xml\"", "\"\"");
    let found: Vec<_> = issues(&text).into_iter().map(|i| (i.line, i.key)).collect();
    assert_eq!(
        found,
        [
            (Some(2), "lists.zal".to_owned()),
            (Some(APPENDED + 1), "server.listen".to_owned()),
            (Some(APPENDED + 2), "glg[0].provider".to_owned()),
            (Some(APPENDED + 2), "glg[0].copy_service".to_owned()),
            (Some(APPENDED + 2), "glg[0].original_service".to_owned()),
            (Some(APPENDED + 2), "glg[0].start".to_owned()),
            (Some(APPENDED + 2), "glg[0].end".to_owned()),
            (Some(APPENDED + 3), "glg[0].id".to_owned()),
        ]
    );
}

#[test]
fn displays_each_issue_as_file_line_key_and_problem() {
    let text = with(
        "[[glg]]\nid = \"g\"\nprovider = \"umcharderwijk@medmij\"\ncopy_service = \"9051\"\n\
         original_service = \"51\"\nstart = \"2026-13-01\"\nend = \"2027-01-31\"\n",
    );
    let shown = load_str(&text, Some(Path::new("config/scopegate.toml")))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        shown.as_deref(),
        Some("config/scopegate.toml:21: glg[0].start: \"2026-13-01\" is not a date (YYYY-MM-DD)")
    );
}

#[test]
fn names_the_file_that_cannot_be_read() {
    let shown = load(Path::new("/nonexistent/scopegate.toml"))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        shown
            .as_deref()
            .map(|s| s.starts_with("/nonexistent/scopegate.toml: cannot read")),
        Some(true)
    );
}

#[test]
fn loads_a_file_from_disk() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("gw.toml");
    std::fs::write(&file, MINIMAL)?;
    let c = load(&file)?;
    assert_eq!(c.audit.path, dir.path().join("audit/a.jsonl"));
    Ok(())
}

#[test]
fn refuses_a_listen_address_without_a_port() {
    assert_eq!(
        only(&with("[server]\nlisten = \"127.0.0.1\"\n")),
        (
            Some(APPENDED + 1),
            "server.listen".into(),
            Problem::NotASocketAddr {
                value: "127.0.0.1".into()
            }
        )
    );
}

#[test]
fn refuses_an_admin_listener_on_the_traffic_address() {
    let text = with("[server]\nlisten = \"127.0.0.1:7000\"\nadmin_listen = \"127.0.0.1:7000\"\n");
    assert_eq!(only(&text).1, "server.admin_listen",);
}

#[test]
fn allows_both_listeners_on_port_zero() {
    let text = with("[server]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n");
    assert_eq!(ok(&text).server.admin_listen.port(), 0);
}

#[test]
fn refuses_a_request_timeout_of_sixty_seconds_with_the_reason() {
    let (line, key, problem) = only(&with("[server]\nrequest_timeout = \"60s\"\n"));
    assert_eq!(
        (line, key.as_str()),
        (Some(APPENDED + 1), "server.request_timeout")
    );
    assert_eq!(
        problem.to_string(),
        "1m is too long: at most 59s (MedMij allows 60 s end to end; the gateway must answer before that)"
    );
}

#[test]
fn refuses_a_zero_header_read_timeout() {
    assert_eq!(
        only(&with("[server]\nheader_read_timeout = \"0s\"\n")).2,
        Problem::ZeroDuration
    );
}

#[test]
fn refuses_a_duration_that_is_not_humantime() {
    assert!(matches!(
        only(&with("[server]\nheader_read_timeout = \"10\"\n")).2,
        Problem::NotADuration { .. }
    ));
}

#[test]
fn refuses_max_header_bytes_below_one_kibibyte() {
    assert_eq!(
        only(&with("[server]\nmax_header_bytes = 100\n")).2,
        Problem::OutOfRange {
            value: 100,
            min: 1_024,
            max: 1_048_576
        }
    );
}

#[test]
fn refuses_a_list_size_limit_of_zero() {
    assert_eq!(
        only(&with_lists_keys("max_bytes = 0\n")),
        (
            Some(4),
            "lists.max_bytes".into(),
            Problem::OutOfRange {
                value: 0,
                min: 1,
                max: i64::MAX
            }
        )
    );
}

#[test]
fn refuses_a_negative_max_body_bytes() {
    assert!(matches!(
        only(&with("[server]\nmax_body_bytes = -1\n")).2,
        Problem::OutOfRange { value: -1, .. }
    ));
}

#[test]
fn refuses_tls_without_a_key() {
    assert_eq!(
        only(&with("[server.tls]\ncert = \"tls/server.pem\"\n")),
        (Some(APPENDED), "server.tls.key".into(), Problem::Missing)
    );
}

#[test]
fn refuses_required_client_certificates_without_a_client_ca() {
    let text = with("[server.tls]\ncert = \"c\"\nkey = \"k\"\nrequire_client_cert = true\n");
    assert_eq!(
        only(&text),
        (
            Some(APPENDED + 3),
            "server.tls.require_client_cert".into(),
            Problem::Needs {
                needs: "server.tls.client_ca"
            }
        )
    );
}

#[test]
fn refuses_a_whitelist_check_without_a_whitelist() {
    let text = with("[server.tls]\ncert = \"c\"\nkey = \"k\"\nclient_ca = \"ca.pem\"\n");
    assert_eq!(only(&text).1, "server.tls.whitelist_check");
}

#[test]
fn turns_client_certificate_checks_on_with_a_client_ca() {
    let text = with("[server.tls]\ncert = \"c\"\nkey = \"k\"\nclient_ca = \"ca.pem\"\n")
        .replace("ocl = ", "whl = \"lists/whl.xml\"\nocl = ");
    let tls = ok(&text)
        .server
        .tls
        .map(|t| (t.require_client_cert, t.whitelist_check));
    assert_eq!(tls, Some((true, true)));
}

#[test]
fn refuses_max_stale_shorter_than_the_refresh_interval() {
    let text = MINIMAL.replace(
        "ocl = ",
        "refresh_interval = \"1h\"\nmax_stale = \"30m\"\nocl = ",
    );
    assert_eq!(
        only(&text),
        (
            Some(4),
            "lists.max_stale".into(),
            Problem::StaleBeforeRefresh {
                value: Duration::from_secs(1_800),
                refresh: Duration::from_secs(3_600)
            }
        )
    );
}

#[test]
fn refuses_a_list_source_with_another_scheme() {
    let text = MINIMAL.replace("\"lists/ocl.xml\"", "\"ftp://lists.medmij.nl/ocl.xml\"");
    assert_eq!(
        only(&text),
        (
            Some(3),
            "lists.ocl".into(),
            Problem::BadUrl {
                value: "ftp://lists.medmij.nl/ocl.xml".into(),
                reason: UrlProblem::Scheme("ftp".into())
            }
        )
    );
}

#[test]
fn refuses_a_leeway_over_five_minutes() {
    let text = MINIMAL.replace("jwks = ", "leeway = \"6m\"\njwks = ");
    assert!(matches!(
        only(&text),
        (Some(7), key, Problem::DurationTooLong { .. }) if key == "tokens.leeway"
    ));
}

#[test]
fn refuses_an_empty_algorithm_list() {
    let text = MINIMAL.replace("jwks = ", "algorithms = []\njwks = ");
    assert_eq!(
        only(&text),
        (Some(7), "tokens.algorithms".into(), Problem::Empty)
    );
}

#[test]
fn refuses_alg_none_by_index() {
    let text = MINIMAL.replace("jwks = ", "algorithms = [\"ES256\", \"none\"]\njwks = ");
    assert!(matches!(
        only(&text),
        (Some(7), key, Problem::RefusedAlgorithm { .. }) if key == "tokens.algorithms[1]"
    ));
}

#[test]
fn refuses_hs512() {
    let text = MINIMAL.replace("jwks = ", "algorithms = [\"HS512\"]\njwks = ");
    assert!(matches!(only(&text).2, Problem::RefusedAlgorithm { .. }));
}

#[test]
fn refuses_an_unknown_algorithm_name() {
    let text = MINIMAL.replace("jwks = ", "algorithms = [\"es256\"]\njwks = ");
    assert_eq!(
        only(&text).2,
        Problem::UnknownAlgorithm {
            value: "es256".into()
        }
    );
}

#[test]
fn refuses_an_empty_scope_claim() {
    let text = MINIMAL.replace("jwks = ", "scope_claim = \"\"\njwks = ");
    assert_eq!(
        only(&text),
        (Some(7), "tokens.scope_claim".into(), Problem::Empty)
    );
}

#[test]
fn refuses_a_provider_name_that_is_not_a_zal_name() {
    let text = MINIMAL.replace("umcharderwijk@medmij", "UMC-Harderwijk@medmij");
    assert_eq!(
        only(&text),
        (
            Some(10),
            "providers[0].name".into(),
            Problem::NotAProviderName {
                value: "UMC-Harderwijk@medmij".into()
            }
        )
    );
}

#[test]
fn refuses_a_provider_listed_twice() {
    let text =
        with("[[providers]]\nname = \"umcharderwijk@medmij\"\nupstream = \"http://127.0.0.1:1\"\n");
    assert_eq!(
        only(&text),
        (
            Some(APPENDED + 1),
            "providers[1].name".into(),
            Problem::DuplicateProvider {
                value: "umcharderwijk@medmij".into(),
                first: 0
            }
        )
    );
}

#[test]
fn requires_a_provider_upstream() {
    let text = MINIMAL.replace("upstream = \"http://127.0.0.1:8081/fhir\"\n", "");
    assert_eq!(
        only(&text),
        (Some(9), "providers[0].upstream".into(), Problem::Missing)
    );
}

#[test]
fn refuses_a_provider_upstream_without_http() {
    let text = MINIMAL.replace("http://127.0.0.1:8081/fhir", "grpc://127.0.0.1:8081");
    assert!(matches!(
        only(&text),
        (Some(11), key, Problem::BadUrl { reason: UrlProblem::Scheme(_), .. })
            if key == "providers[0].upstream"
    ));
}

#[test]
fn trims_the_trailing_slash_of_provider_upstreams() {
    let text = MINIMAL.replace(
        "/fhir\"",
        "/fhir/\"\nservices = { \"4\" = \"http://127.0.0.1:8083/lab/\" }",
    );
    let c = ok(&text);
    let p = c.provider("umcharderwijk@medmij");
    assert_eq!(
        p.map(|p| p.upstream.as_str()),
        Some("http://127.0.0.1:8081/fhir")
    );
    assert_eq!(
        p.map(|p| p.upstream_for("4").as_str()),
        Some("http://127.0.0.1:8083/lab")
    );
}

#[test]
fn refuses_a_service_id_longer_than_thirty_characters() {
    let id = "1".repeat(31);
    let text = MINIMAL.replace(
        "/fhir\"",
        &format!("/fhir\"\nservices = {{ \"{id}\" = \"http://127.0.0.1:1\" }}"),
    );
    assert_eq!(
        only(&text),
        (
            Some(12),
            format!("providers[0].services.\"{id}\""),
            Problem::NotAServiceId { value: id }
        )
    );
}

#[test]
fn refuses_a_per_service_upstream_with_a_query() {
    let text = MINIMAL.replace(
        "/fhir\"",
        "/fhir\"\nservices = { \"4\" = \"http://127.0.0.1:1/?a=b\" }",
    );
    assert!(matches!(
        only(&text),
        (Some(12), key, Problem::BadUrl { reason: UrlProblem::Query, .. })
            if key == "providers[0].services.\"4\""
    ));
}

#[test]
fn refuses_a_bad_provider_authorization_server() {
    let text = MINIMAL.replace(
        "/fhir\"",
        "/fhir\"\nauthorization_server = \"127.0.0.1:8082\"",
    );
    assert_eq!(only(&text).1, "providers[0].authorization_server");
}

#[test]
fn refuses_an_authorization_server_table_without_upstream() {
    assert_eq!(
        only(&with("[authorization_server]\n")),
        (
            Some(APPENDED),
            "authorization_server.upstream".into(),
            Problem::Missing
        )
    );
}

const GLG: &str = "[[glg]]\nid = \"glg-umch-51\"\nprovider = \"umcharderwijk@medmij\"\n\
    copy_service = \"9051\"\noriginal_service = \"51\"\ndvps = [\"medmij.deenigeechtepgo.nl\"]\n\
    start = \"2026-11-01\"\nend = \"2027-01-31\"\nextended_until = \"2027-02-28\"\n";

#[test]
fn reads_a_glg_field_by_field() {
    let c = ok(&with(GLG));
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    assert_eq!(
        c.glgs,
        vec![Glg {
            id: "glg-umch-51".into(),
            provider: "umcharderwijk@medmij".into(),
            copy_service: "9051".into(),
            original_service: "51".into(),
            dvps: vec!["medmij.deenigeechtepgo.nl".into()],
            start: day(2026, 11, 1),
            end: day(2027, 1, 31),
            extended_until: Some(day(2027, 2, 28)),
        }]
    );
}

#[test]
fn leaves_glg_rules_between_dates_to_the_glg_checks() {
    let text = with(
        &GLG.replace("2027-01-31", "2026-10-01")
            .replace("dvps = [\"medmij.deenigeechtepgo.nl\"]\n", ""),
    );
    assert_eq!(ok(&text).glgs.len(), 1);
}

#[test]
fn refuses_a_glg_for_a_provider_not_served() {
    let text = with(&GLG.replace("umcharderwijk@medmij", "ziekenhuisamstelland@medmij"));
    assert_eq!(
        only(&text),
        (
            Some(APPENDED + 2),
            "glg[0].provider".into(),
            Problem::ProviderNotServed {
                value: "ziekenhuisamstelland@medmij".into()
            }
        )
    );
}

#[test]
fn refuses_a_glg_provider_that_is_not_a_zal_name() {
    let text = with(&GLG.replace("umcharderwijk@medmij", "umcharderwijk"));
    assert!(matches!(only(&text).2, Problem::NotAProviderName { .. }));
}

#[test]
fn refuses_a_glg_with_an_empty_id() {
    let text = with(&GLG.replace("\"glg-umch-51\"", "\"\""));
    assert_eq!(
        only(&text),
        (Some(APPENDED + 1), "glg[0].id".into(), Problem::Empty)
    );
}

#[test]
fn refuses_a_glg_copy_service_that_is_not_a_service_id() {
    let text = with(&GLG.replace("\"9051\"", "\"\""));
    assert_eq!(only(&text).1, "glg[0].copy_service");
}

#[test]
fn refuses_an_empty_glg_dvp() {
    let text = with(&GLG.replace("[\"medmij.deenigeechtepgo.nl\"]", "[\"a.nl\", \"\"]"));
    assert_eq!(
        only(&text),
        (Some(APPENDED + 5), "glg[0].dvps[1]".into(), Problem::Empty)
    );
}

#[test]
fn refuses_a_bad_extension_date() {
    let text = with(&GLG.replace("2027-02-28", "2027-02-29"));
    assert_eq!(
        only(&text),
        (
            Some(APPENDED + 8),
            "glg[0].extended_until".into(),
            Problem::NotADate {
                value: "2027-02-29".into()
            }
        )
    );
}

#[test]
fn resolves_the_upstream_ca_against_the_config_folder() {
    let c = ok(&with("[server]\nupstream_ca = \"tls/upstream-ca.pem\"\n"));
    assert_eq!(
        c.server.upstream_ca,
        Some(PathBuf::from("/etc/scopegate/tls/upstream-ca.pem"))
    );
}

#[test]
fn refuses_an_empty_upstream_ca_with_its_line() {
    assert_eq!(
        only(&with("[server]\nupstream_ca = \"\"\n")),
        (
            Some(APPENDED + 1),
            "server.upstream_ca".into(),
            Problem::Empty
        )
    );
}

#[test]
fn accepts_a_tls_table_without_a_server_table() {
    let c = ok(&with("[server.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n"));
    assert_eq!(c.server.tls.map(|t| t.client_ca), Some(None));
}

#[test]
fn accepts_services_written_as_dotted_keys() {
    let text = MINIMAL.replace(
        "/fhir\"",
        "/fhir\"\nservices.\"4\" = \"http://127.0.0.1:8083/lab\"",
    );
    let c = ok(&text);
    assert_eq!(
        c.providers[0].upstream_for("4").as_str(),
        "http://127.0.0.1:8083/lab"
    );
}

#[test]
fn names_the_table_header_line_for_keys_missing_from_it() {
    let text = MINIMAL.replace(
        "[tokens]\n",
        "[tokens.introspection]\ncache_ttl = \"1s\"\n[tokens]\n",
    );
    let found: Vec<_> = issues(&text).into_iter().map(|i| (i.line, i.key)).collect();
    assert_eq!(
        found,
        [
            (Some(5), "tokens.introspection.url".to_owned()),
            (Some(5), "tokens.introspection.client_id".to_owned()),
            (
                Some(5),
                "tokens.introspection.client_secret_file".to_owned()
            ),
        ]
    );
}

#[test]
fn keeps_a_toml_syntax_error_on_one_line() {
    let shown = load_str("[server\n", None).err().map(|e| e.to_string());
    assert_eq!(
        shown.as_deref(),
        Some("<config>:1: invalid table header; expected `.`, `]`")
    );
}

fn with_lists_keys(keys: &str) -> String {
    MINIMAL.replace(
        "ocl = \"lists/ocl.xml\"\n",
        &format!("ocl = \"lists/ocl.xml\"\n{keys}"),
    )
}

#[test]
fn list_fetch_timeout_defaults_to_thirty_seconds_and_has_no_client_certificate() {
    let c = ok(MINIMAL);
    assert_eq!(c.lists.timeout, Duration::from_secs(30));
    assert_eq!(c.lists.ca, None);
    assert_eq!(c.lists.client_cert, None);
}

#[test]
fn list_client_certificate_paths_resolve_against_the_config_folder() {
    let c = ok(&with_lists_keys(
        "timeout = \"5s\"\nca = \"tls/ca.pem\"\nclient_cert = \"tls/lists.pem\"\nclient_key = \"/keys/lists.key\"\n",
    ));
    assert_eq!(c.lists.timeout, Duration::from_secs(5));
    assert_eq!(c.lists.ca, Some(PathBuf::from("/etc/scopegate/tls/ca.pem")));
    assert_eq!(
        c.lists.client_cert,
        Some(crate::config::ClientCert {
            cert: PathBuf::from("/etc/scopegate/tls/lists.pem"),
            key: PathBuf::from("/keys/lists.key"),
        })
    );
}

#[test]
fn a_list_client_certificate_without_its_key_is_refused() {
    let (line, key, problem) = only(&with_lists_keys("client_cert = \"tls/lists.pem\"\n"));
    assert_eq!((line, key.as_str()), (Some(4), "lists.client_cert"));
    assert_eq!(
        problem,
        Problem::Needs {
            needs: "lists.client_key"
        }
    );
}

#[test]
fn a_list_client_key_without_its_certificate_is_refused() {
    let (line, key, problem) = only(&with_lists_keys("client_key = \"tls/lists.key\"\n"));
    assert_eq!((line, key.as_str()), (Some(4), "lists.client_key"));
    assert_eq!(
        problem,
        Problem::Needs {
            needs: "lists.client_cert"
        }
    );
}

#[test]
fn a_zero_list_fetch_timeout_is_refused() {
    let (line, key, problem) = only(&with_lists_keys("timeout = \"0s\"\n"));
    assert_eq!((line, key.as_str()), (Some(4), "lists.timeout"));
    assert_eq!(problem, Problem::ZeroDuration);
}
