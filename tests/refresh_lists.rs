//! Staying current (issue 4): the refresher against a real list server on loopback, with the
//! whole gateway running and time moved through its `Clock` instead of sleeping. Each test
//! but one drives `refresh::refresh_once` itself rather than waiting for the timer; that one
//! awaits the list server's request count to follow the real timer.

mod refresh_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use refresh_support::*;
use scopegate::lists::ListKind;
use scopegate::refresh::{GlgChange, RefreshReport, refresh_once};

const HOUR: Duration = Duration::from_secs(3600);

async fn env() -> Env {
    Env::start(
        ConfigKnobs::default(),
        Some(zal_xml(10, &["51", "9051"])),
        Some(ocl_xml(5, &[GLG_DVP, OTHER_DVP])),
    )
    .await
}

fn zal_volgnummer(env: &Env) -> String {
    let cur = env.gateway().current();
    cur.snapshot
        .as_ref()
        .unwrap()
        .lists
        .zal
        .header
        .volgnummer
        .to_string()
}

async fn original_service(env: &Env) -> (u16, Option<String>) {
    env.get(GLG_DVP, "umcharderwijk~51", "/fhir-51/Patient")
        .await
}

fn failed_zal_only(report: &RefreshReport) {
    assert_eq!(report.failed, [ListKind::Zal]);
    assert_eq!(report.replaced, []);
    assert_eq!(report.unchanged, [ListKind::Ocl]);
}

#[tokio::test]
async fn a_higher_volgnummer_replaces_the_list_and_an_unchanged_one_answers_304() {
    let env = env().await;
    assert_eq!(
        env.get(GLG_DVP, "umcharderwijk~49", "/fhir-49/Patient")
            .await,
        (403, Some("service_not_offered".into()))
    );
    // The first refresh learns the ETags; the OCL is not changed on the server.
    refresh_once(env.gateway()).await;
    env.serve_zal(zal_xml(11, &["51", "9051", "49"]));

    let report = refresh_once(env.gateway()).await;

    assert_eq!(report.replaced, [ListKind::Zal]);
    assert_eq!(report.unchanged, [ListKind::Ocl]);
    assert_eq!(report.failed, []);
    assert_eq!(zal_volgnummer(&env), "11");
    assert_eq!(env.lists.state.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(
        env.get(GLG_DVP, "umcharderwijk~49", "/fhir-49/Patient")
            .await,
        (200, None)
    );
}

#[tokio::test]
async fn a_lower_volgnummer_is_refused_as_rollback_and_the_list_in_force_stays() {
    let env = env().await;
    env.serve_zal(zal_xml(9, &["49"]));

    let report = refresh_once(env.gateway()).await;

    failed_zal_only(&report);
    assert_eq!(zal_volgnummer(&env), "10");
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn an_invalid_document_is_refused_and_the_list_in_force_stays() {
    let env = env().await;
    let broken = zal_xml(11, &["49"]).replace("umcharderwijk@medmij", "UMC@medmij");
    env.serve_zal(broken);

    let report = refresh_once(env.gateway()).await;

    failed_zal_only(&report);
    assert_eq!(zal_volgnummer(&env), "10");
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn a_list_larger_than_max_bytes_is_refused_and_the_list_in_force_stays() {
    let first = zal_xml(10, &["51", "9051"]);
    let bigger = zal_xml(11, &["51", "9051", "48", "49"]);
    assert!(bigger.len() > first.len());
    let knobs = ConfigKnobs {
        extra_lists: format!("max_bytes = {}", first.len()),
        ..ConfigKnobs::default()
    };
    let env = Env::start(knobs, Some(first), Some(ocl_xml(5, &[GLG_DVP]))).await;

    env.serve_zal(bigger);
    let report = refresh_once(env.gateway()).await;

    failed_zal_only(&report);
    assert_eq!(zal_volgnummer(&env), "10");
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn a_server_error_keeps_the_list_in_force() {
    let env = env().await;
    env.set_zal(Answer::Status(500));

    let report = refresh_once(env.gateway()).await;

    failed_zal_only(&report);
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn a_server_that_hangs_is_given_up_after_the_list_timeout() {
    let env = env().await;
    env.set_zal(Answer::Hang);

    let started = std::time::Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(10), refresh_once(env.gateway()))
        .await
        .expect("refresh_once hung past the list timeout");

    failed_zal_only(&report);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn an_outage_shorter_than_max_stale_keeps_serving_a_longer_one_denies_until_recovery() {
    let env = env().await;
    env.set_zal(Answer::Status(503));

    env.clock.advance(7 * HOUR);
    failed_zal_only(&refresh_once(env.gateway()).await);
    assert_eq!(original_service(&env).await, (200, None));
    assert_eq!(env.readyz().await, 200);

    env.clock.advance(2 * HOUR);
    failed_zal_only(&refresh_once(env.gateway()).await);
    assert_eq!(
        original_service(&env).await,
        (503, Some("lists_unavailable".into()))
    );
    assert_eq!(env.readyz().await, 503);

    // Recovery: the list server is back with the same list.
    env.serve_zal(zal_xml(10, &["51", "9051"]));
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.unchanged, [ListKind::Zal, ListKind::Ocl]);
    assert_eq!(original_service(&env).await, (200, None));
    assert_eq!(env.readyz().await, 200);
}

#[tokio::test]
async fn the_copy_service_leaving_and_rejoining_the_zal_is_reported_as_a_glg_change() {
    let env = env().await;
    let copy = || env.get(GLG_DVP, "umcharderwijk~9051", "/fhir-9051/Patient");
    assert_eq!(copy().await, (200, None));

    env.serve_zal(zal_xml(11, &["51"]));
    let report = refresh_once(env.gateway()).await;
    assert_eq!(
        report.glg_changes,
        [GlgChange {
            glg: GLG_ID.into(),
            list: ListKind::Zal,
            subject: ZA.into(),
            now_listed: false,
        }]
    );
    assert_eq!(copy().await, (403, Some("service_not_offered".into())));

    env.serve_zal(zal_xml(12, &["51", "9051"]));
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.glg_changes.len(), 1);
    assert!(report.glg_changes[0].now_listed);
    assert_eq!(copy().await, (200, None));
}

#[tokio::test]
async fn start_up_without_reachable_lists_runs_unready_and_becomes_ready_on_the_first_load() {
    let env = Env::start(ConfigKnobs::default(), None, None).await;
    assert_eq!(env.readyz().await, 503);
    assert_eq!(
        original_service(&env).await,
        (503, Some("lists_unavailable".into()))
    );

    env.serve_zal(zal_xml(10, &["51", "9051"]));
    env.serve_ocl(ocl_xml(5, &[GLG_DVP]));
    refresh_once(env.gateway()).await;

    assert_eq!(env.readyz().await, 200);
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn the_refresher_retries_until_the_lists_load_then_refreshes_on_its_interval() {
    // The real timer, not `refresh_once`: with a 1 s interval the retries after a failed
    // start-up come at most 1 s apart, then each interval brings a conditional request.
    let knobs = ConfigKnobs {
        refresh_interval: "1s",
        ..ConfigKnobs::default()
    };
    let env = Env::start(knobs, None, Some(ocl_xml(5, &[GLG_DVP]))).await;
    let zal = "/MedMij_Zorgaanbiederslijst.xml";
    env.lists.requested(zal, 2).await;
    assert_eq!(env.readyz().await, 503);

    env.serve_zal(zal_xml(10, &["51", "9051"]));
    // The next round loads it; the one after asks again only once that load is in force.
    env.lists.requested(zal, 4).await;

    assert_eq!(env.readyz().await, 200);
    assert_eq!(original_service(&env).await, (200, None));
}

#[tokio::test]
async fn a_glg_becomes_active_on_its_first_day_and_stops_the_day_after_its_last() {
    let knobs = ConfigKnobs {
        glg_days: ("2026-12-04", "2026-12-05"),
        ..ConfigKnobs::default()
    };
    let env = Env::start(
        knobs,
        Some(zal_xml(10, &["51", "9051"])),
        Some(ocl_xml(5, &[GLG_DVP])),
    )
    .await;
    let copy = || env.get(GLG_DVP, "umcharderwijk~9051", "/fhir-9051/Patient");
    let day = 24 * HOUR;

    assert_eq!(copy().await, (403, Some("glg_not_active".into())));
    env.clock.advance(day);
    refresh_once(env.gateway()).await;
    assert_eq!(copy().await, (200, None));
    env.clock.advance(2 * day);
    refresh_once(env.gateway()).await;
    assert_eq!(copy().await, (403, Some("glg_not_active".into())));
}

#[tokio::test]
async fn whitelist_and_service_names_are_refreshed_under_the_same_rules_as_the_zal() {
    let lists = ListServer::start().await;
    let (whl, gnl) = (
        "/MedMij_Whitelist.xml",
        "/MedMij_Gegevensdienstnamenlijst.xml",
    );
    lists.serve(whl, whl_xml(3, &[GLG_DVP, OTHER_DVP]));
    lists.serve(gnl, gnl_xml(7, &[("51", "Medicatiegegevens")]));
    let knobs = ConfigKnobs {
        extra_lists: format!("whl = \"{}\"\ngnl = \"{}\"", lists.url(whl), lists.url(gnl)),
        ..ConfigKnobs::default()
    };
    let env = Env::start_on(
        lists,
        knobs,
        Some(zal_xml(10, &["51", "9051"])),
        Some(ocl_xml(5, &[GLG_DVP, OTHER_DVP])),
    )
    .await;
    let whitelisted = |host: &str| {
        let cur = env.gateway().current();
        let lists = &cur.snapshot.as_ref().unwrap().lists;
        lists.whl.as_ref().unwrap().contains(host)
    };
    assert!(whitelisted(OTHER_DVP));

    env.lists.serve(whl, whl_xml(4, &[GLG_DVP]));
    env.lists.serve(
        gnl,
        gnl_xml(8, &[("51", "Medicatiegegevens"), ("9051", "Kopie")]),
    );
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.replaced, [ListKind::Whl, ListKind::Gnl]);
    assert!(!whitelisted(OTHER_DVP));
    let cur = env.gateway().current();
    let names = &cur
        .snapshot
        .as_ref()
        .unwrap()
        .lists
        .gnl
        .as_ref()
        .unwrap()
        .names;
    assert_eq!(names.get("9051").map(|n| &**n), Some("Kopie"));

    env.lists.serve(whl, whl_xml(2, &[GLG_DVP, OTHER_DVP]));
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.failed, [ListKind::Whl]);
    assert!(!whitelisted(OTHER_DVP));
}

#[tokio::test]
async fn a_bad_config_is_refused_on_reload_and_the_running_one_kept() {
    let env = env().await;
    std::fs::write(&env.config_path, "[lists]\nzal = 1\n").unwrap();

    assert!(env.gateway().reload().await.is_err());
    assert_eq!(original_service(&env).await, (200, None));

    let knobs = ConfigKnobs {
        glg_dvps: vec![OTHER_DVP],
        ..ConfigKnobs::default()
    };
    env.write_config(&knobs);
    env.gateway().reload().await.unwrap();
    assert_eq!(
        env.get(GLG_DVP, "umcharderwijk~9051", "/fhir-9051/Patient")
            .await,
        (403, Some("copy_service_not_glg_dvp".into()))
    );
}
