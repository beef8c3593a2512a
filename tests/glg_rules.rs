//! Table tests for the GLG rules of SPEC §6 (`scopegate::glg::check`): every code at the
//! exact boundary day that is allowed and the next day that is refused.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use scopegate::glg::{Finding, Glg, Severity, check, rules::code};
use scopegate::lists::{
    EndpointUri, ListHeader, OAuthClient, Ocl, Volgnummer, Zal, ZalService, Zorgaanbieder,
};

const ZA: &str = "umcharderwijk@medmij";
const DVP: &str = "medmij.deenigeechtepgo.nl";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn glg(id: &str, start: &str, end: &str, until: Option<&str>) -> Glg {
    Glg {
        id: id.into(),
        provider: ZA.into(),
        copy_service: "9051".into(),
        original_service: "51".into(),
        dvps: vec![DVP.into()],
        start: d(start),
        end: d(end),
        extended_until: until.map(d),
    }
}

fn codes(findings: &[Finding]) -> Vec<(&str, &'static str)> {
    findings.iter().map(|f| (f.glg.as_str(), f.code)).collect()
}

/// Findings without lists, on a day far from all periods.
fn check_alone(glgs: &[Glg]) -> Vec<Finding> {
    check(glgs, None, d("2020-01-01"))
}

#[test]
fn a_valid_glg_has_no_findings() {
    let g = glg("g", "2026-11-01", "2027-01-31", Some("2027-02-28"));
    assert_eq!(check_alone(&[g]), []);
}

#[test]
fn too_long_table_at_the_three_month_boundary() {
    // (start, last allowed end, first refused end)
    let cases = [
        ("2026-11-01", "2027-01-31", "2027-02-01"),
        ("2026-11-30", "2027-02-27", "2027-02-28"),
        ("2027-11-30", "2028-02-28", "2028-02-29"),
        ("2027-10-31", "2028-01-30", "2028-01-31"),
        ("2026-01-31", "2026-04-29", "2026-04-30"),
        ("2027-12-31", "2028-03-30", "2028-03-31"),
        ("2028-02-29", "2028-05-28", "2028-05-29"),
    ];
    for (start, allowed, refused) in cases {
        assert_eq!(
            check_alone(&[glg("g", start, allowed, None)]),
            [],
            "{start}..{allowed}"
        );
        let found = check_alone(&[glg("g", start, refused, None)]);
        assert_eq!(codes(&found), [("g", code::TOO_LONG)], "{start}..{refused}");
    }
}

#[test]
fn too_long_message_names_the_values() {
    let found = check_alone(&[glg("glg-umch-51", "2026-11-01", "2027-02-01", None)]);
    assert_eq!(
        found,
        [Finding {
            severity: Severity::Error,
            code: code::TOO_LONG,
            glg: "glg-umch-51".into(),
            message: "end 2027-02-01 is not before start + 3 months (2027-02-01)".into(),
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "error glg_too_long glg=glg-umch-51 end 2027-02-01 is not before start + 3 months (2027-02-01)"
    );
}

#[test]
fn end_on_start_is_allowed_and_the_day_before_refused() {
    assert_eq!(
        check_alone(&[glg("g", "2026-11-01", "2026-11-01", None)]),
        []
    );
    let found = check_alone(&[glg("g", "2026-11-01", "2026-10-31", None)]);
    assert_eq!(codes(&found), [("g", code::END_BEFORE_START)]);
    assert_eq!(
        found[0].message,
        "end 2026-10-31 is before start 2026-11-01"
    );
}

#[test]
fn extension_window_table() {
    // (end, last allowed extended_until, first refused); extended_until == end is refused too
    let cases = [
        ("2027-01-31", "2027-02-28", "2027-03-01"),
        ("2027-01-30", "2027-02-27", "2027-02-28"),
        ("2028-01-30", "2028-02-28", "2028-02-29"),
        ("2026-12-31", "2027-01-31", "2027-02-01"),
        ("2027-02-28", "2027-03-31", "2027-04-01"),
    ];
    for (end, allowed, refused) in cases {
        let start = end;
        let ok = check_alone(&[glg("g", start, end, Some(allowed))]);
        assert_eq!(ok, [], "{end} -> {allowed}");
        let found = check_alone(&[glg("g", start, end, Some(refused))]);
        assert_eq!(
            codes(&found),
            [("g", code::EXTENSION_TOO_LONG)],
            "{end} -> {refused}"
        );
        let on_end = check_alone(&[glg("g", start, end, Some(end))]);
        assert_eq!(
            codes(&on_end),
            [("g", code::EXTENSION_NOT_AFTER_END)],
            "{end}"
        );
    }
}

#[test]
fn extension_of_one_day_is_allowed() {
    assert_eq!(
        check_alone(&[glg("g", "2026-11-01", "2027-01-31", Some("2027-02-01"))]),
        []
    );
}

#[test]
fn extension_messages_name_the_values() {
    let found = check_alone(&[glg("g", "2026-11-01", "2027-01-31", Some("2027-03-01"))]);
    assert_eq!(
        found[0].message,
        "extended_until 2027-03-01 is not before end + 1 day + 1 month (2027-03-01)"
    );
    let found = check_alone(&[glg("g", "2026-11-01", "2027-01-31", Some("2027-01-30"))]);
    assert_eq!(
        found[0].message,
        "extended_until 2027-01-30 is not after end 2027-01-31"
    );
}

#[test]
fn copy_service_equal_to_original_is_refused() {
    let mut g = glg("g", "2026-11-01", "2027-01-31", None);
    g.copy_service = "51".into();
    assert_eq!(codes(&check_alone(&[g])), [("g", code::COPY_IS_ORIGINAL)]);
}

#[test]
fn a_glg_without_dvps_is_refused() {
    let mut g = glg("g", "2026-11-01", "2027-01-31", None);
    g.dvps.clear();
    assert_eq!(codes(&check_alone(&[g])), [("g", code::NO_DVPS)]);
}

#[test]
fn a_dvp_listed_twice_is_refused_once() {
    let mut g = glg("g", "2026-11-01", "2027-01-31", None);
    g.dvps = vec![DVP.into(), "other.pgo.nl".into(), DVP.into()];
    let found = check_alone(&[g]);
    assert_eq!(codes(&found), [("g", code::DUPLICATE_DVP)]);
    assert_eq!(
        found[0].message,
        format!("DVP {DVP} is listed more than once")
    );
}

#[test]
fn a_duplicate_id_is_reported_on_the_second_glg() {
    let a = glg("g", "2026-01-01", "2026-02-28", None);
    let mut b = glg("g", "2027-01-01", "2027-02-28", None);
    b.copy_service = "9052".into();
    b.original_service = "52".into();
    assert_eq!(codes(&check_alone(&[a, b])), [("g", code::DUPLICATE_ID)]);
}

fn other_za(mut g: Glg) -> Glg {
    g.provider = "anderza@medmij".into();
    g
}

#[test]
fn copy_service_overlap_table() {
    let a = glg("a", "2026-11-01", "2027-01-31", Some("2027-02-20"));
    // Other ZA, so the cooldown rule does not apply; only the copy service is shared.
    let touching = other_za(glg("b", "2027-02-20", "2027-03-31", None));
    let after = other_za(glg("b", "2027-02-21", "2027-03-31", None));
    let before = other_za(glg("b", "2026-09-01", "2026-10-31", None));
    let touching_start = other_za(glg("b", "2026-09-01", "2026-11-01", None));
    assert_eq!(
        codes(&check_alone(&[a.clone(), touching])),
        [("b", code::COPY_SERVICE_OVERLAP)]
    );
    assert_eq!(
        codes(&check_alone(&[a.clone(), touching_start])),
        [("b", code::COPY_SERVICE_OVERLAP)]
    );
    assert_eq!(check_alone(&[a.clone(), after]), []);
    assert_eq!(check_alone(&[a, before]), []);
}

#[test]
fn copy_service_overlap_message_names_both_periods() {
    let a = glg("a", "2026-11-01", "2027-01-31", None);
    let b = other_za(glg("b", "2026-12-01", "2027-01-15", None));
    let found = check_alone(&[a, b]);
    assert_eq!(
        found[0].message,
        "copy service 9051 is also a's, whose period 2026-11-01..2027-01-31 overlaps 2026-12-01..2027-01-15"
    );
}

#[test]
fn cooldown_boundary_day_is_allowed_and_the_day_before_refused() {
    // a's last day 2027-02-28 (extended) → next start 2027-03-01 + 3 months = 2027-06-01.
    let a = glg("a", "2026-11-01", "2027-01-31", Some("2027-02-28"));
    let allowed = glg("b", "2027-06-01", "2027-08-31", None);
    let refused = glg("b", "2027-05-31", "2027-08-30", None);
    assert_eq!(check_alone(&[a.clone(), allowed]), []);
    let found = check_alone(&[a, refused]);
    assert_eq!(codes(&found), [("b", code::COOLDOWN)]);
    assert_eq!(
        found[0].message,
        "start 2027-05-31 is before a's next allowed start 2027-06-01 \
         (last day 2027-02-28 + 1 day + 3 months) for umcharderwijk@medmij service 51"
    );
}

#[test]
fn cooldown_clamps_at_a_leap_day() {
    // Last day 2027-11-28 → 2027-11-29 + 3 months = 2028-02-29.
    let a = glg("a", "2027-09-01", "2027-11-28", None);
    let mut allowed = glg("b", "2028-02-29", "2028-03-31", None);
    allowed.copy_service = "9151".into();
    let mut refused = allowed.clone();
    refused.start = d("2028-02-28");
    assert_eq!(check_alone(&[a.clone(), allowed]), []);
    assert_eq!(codes(&check_alone(&[a, refused])), [("b", code::COOLDOWN)]);
}

#[test]
fn cooldown_is_reported_on_the_glg_that_starts_later_whatever_the_config_order() {
    let later = glg("later", "2027-03-01", "2027-04-30", None);
    let mut earlier = glg("earlier", "2026-11-01", "2027-01-31", None);
    earlier.copy_service = "9151".into();
    assert_eq!(
        codes(&check_alone(&[later, earlier])),
        [("later", code::COOLDOWN)]
    );
}

#[test]
fn overlapping_glgs_for_the_same_original_break_the_cooldown() {
    let a = glg("a", "2026-11-01", "2027-01-31", None);
    let mut b = glg("b", "2026-11-01", "2027-01-31", None);
    b.copy_service = "9151".into();
    assert_eq!(codes(&check_alone(&[a, b])), [("b", code::COOLDOWN)]);
}

#[test]
fn cooldown_applies_only_to_the_same_za_and_original_service() {
    let a = glg("a", "2026-11-01", "2027-01-31", None);
    let mut other_service = glg("b", "2027-02-01", "2027-03-31", None);
    other_service.copy_service = "9052".into();
    other_service.original_service = "52".into();
    let mut other_provider = other_za(glg("c", "2027-02-01", "2027-03-31", None));
    other_provider.copy_service = "9151".into();
    assert_eq!(check_alone(&[a, other_service, other_provider]), []);
}

#[test]
fn a_copy_service_that_is_another_glgs_original_for_the_same_za_is_refused() {
    let a = glg("a", "2026-11-01", "2027-01-31", None);
    let mut b = glg("b", "2028-01-01", "2028-02-28", None);
    b.original_service = "9051".into();
    b.copy_service = "9951".into();
    let found = check_alone(&[a, b]);
    assert_eq!(codes(&found), [("a", code::COPY_IS_OTHER_ORIGINAL)]);
    assert_eq!(
        found[0].message,
        "copy service 9051 is the original service of b for umcharderwijk@medmij"
    );
}

#[test]
fn findings_are_sorted_by_config_order_then_code() {
    let mut a = glg("a", "2026-11-01", "2027-03-01", Some("2027-01-01"));
    a.dvps.clear();
    a.copy_service = "51".into();
    let b = glg("b", "2026-11-01", "2027-01-31", None);
    let found = check_alone(&[a, b]);
    assert_eq!(
        codes(&found),
        [
            ("a", code::COPY_IS_ORIGINAL),
            ("a", code::COPY_IS_OTHER_ORIGINAL),
            ("a", code::EXTENSION_NOT_AFTER_END),
            ("a", code::NO_DVPS),
            ("a", code::TOO_LONG),
            ("b", code::COOLDOWN),
        ]
    );
    assert!(found.iter().all(|f| f.severity == Severity::Error));
}

// --- warnings against the lists ---

fn header() -> ListHeader {
    let ts: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-10-01T00:00:00+02:00").unwrap();
    ListHeader {
        tijdstempel: ts,
        volgnummer: Volgnummer::parse("1").unwrap(),
    }
}

fn endpoint(uri: &str) -> EndpointUri {
    EndpointUri {
        uri: uri.into(),
        host: "za.example.nl".into(),
        port: None,
        path: "".into(),
    }
}

fn zal(offers: &[&str]) -> Zal {
    let services = offers
        .iter()
        .map(|id| ZalService {
            id: (*id).into(),
            interfaceversie: None,
            authorization_endpoint: endpoint("https://za.example.nl/auth"),
            token_endpoint: endpoint("https://za.example.nl/token"),
            systeemrollen: Vec::new(),
        })
        .collect();
    let za = Zorgaanbieder {
        naam: ZA.into(),
        services,
    };
    Zal {
        header: header(),
        zorgaanbieders: HashMap::from([(ZA.into(), za)]),
    }
}

fn ocl(clients: &[(&str, Option<&[&str]>)]) -> Ocl {
    let clients = clients
        .iter()
        .map(|(host, ids)| {
            let client = OAuthClient {
                hostname: (*host).into(),
                organisatienaam: "PGO".into(),
                gegevensdiensten: ids
                    .map(|ids| ids.iter().map(|i| (*i).into()).collect::<HashSet<_>>()),
            };
            ((*host).into(), client)
        })
        .collect();
    Ocl {
        header: header(),
        clients,
    }
}

fn glg_live() -> Glg {
    glg("g", "2026-11-01", "2027-01-31", Some("2027-02-28"))
}

#[test]
fn no_warnings_when_the_lists_fit() {
    let (z, o) = (zal(&["9051"]), ocl(&[(DVP, Some(&["9051", "51"]))]));
    assert_eq!(check(&[glg_live()], Some((&z, &o)), d("2026-12-01")), []);
}

#[test]
fn copy_service_missing_from_the_zal_is_a_warning() {
    let (z, o) = (zal(&["48"]), ocl(&[(DVP, None)]));
    let found = check(&[glg_live()], Some((&z, &o)), d("2026-10-01"));
    assert_eq!(codes(&found), [("g", code::COPY_NOT_ON_ZAL)]);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(
        found[0].message,
        "copy service 9051 is not on the ZAL for umcharderwijk@medmij; a GLG does not work without it"
    );
}

#[test]
fn a_za_missing_from_the_zal_is_a_copy_not_on_zal_warning() {
    let (z, o) = (zal(&["9051"]), ocl(&[(DVP, None)]));
    let g = other_za(glg_live());
    assert_eq!(
        codes(&check(&[g], Some((&z, &o)), d("2026-10-01"))),
        [("g", code::COPY_NOT_ON_ZAL)]
    );
}

#[test]
fn original_on_the_zal_warns_only_while_live() {
    let (z, o) = (zal(&["9051", "51"]), ocl(&[(DVP, None)]));
    let cases = [
        ("2026-10-31", vec![]),
        ("2026-11-01", vec![("g", code::ORIGINAL_ON_ZAL)]),
        ("2027-02-28", vec![("g", code::ORIGINAL_ON_ZAL)]),
        ("2027-03-01", vec![]),
    ];
    for (day, want) in cases {
        let found = check(&[glg_live()], Some((&z, &o)), d(day));
        assert_eq!(codes(&found), want, "{day}");
    }
}

#[test]
fn dvp_missing_from_the_ocl_is_a_warning() {
    let (z, o) = (zal(&["9051"]), ocl(&[("other.pgo.nl", None)]));
    let found = check(&[glg_live()], Some((&z, &o)), d("2026-12-01"));
    assert_eq!(codes(&found), [("g", code::DVP_NOT_ON_OCL)]);
    assert_eq!(found[0].message, format!("DVP {DVP} is not on the OCL"));
}

#[test]
fn dvp_whose_ocl_entry_lacks_the_copy_service_is_a_warning() {
    let (z, o) = (zal(&["9051"]), ocl(&[(DVP, Some(&["51"]))]));
    let found = check(&[glg_live()], Some((&z, &o)), d("2026-12-01"));
    assert_eq!(codes(&found), [("g", code::DVP_NOT_QUALIFIED)]);
    assert_eq!(
        found[0].message,
        format!("DVP {DVP}'s OCL entry lists gegevensdiensten but not copy service 9051")
    );
}

#[test]
fn ended_glgs_get_no_list_warnings() {
    let (z, o) = (zal(&["51"]), ocl(&[]));
    assert_eq!(check(&[glg_live()], Some((&z, &o)), d("2027-03-01")), []);
}

#[test]
fn without_lists_there_are_no_warnings() {
    assert_eq!(check(&[glg_live()], None, d("2026-12-01")), []);
}
