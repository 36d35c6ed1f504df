//! `scan --save-observations` then `scan --replay`: the saved observations,
//! judged again offline, give the identical report (`elapsed_ms` included:
//! the observations keep the scan's time). Every lab server is scanned once.

mod common;

use common::scan::scan_job;

#[tokio::test(flavor = "multi_thread")]
async fn every_lab_servers_scan_replays_to_the_same_report() {
    let lab = lab::Lab::start(lab::LabConfig::default())
        .await
        .expect("lab starts");
    let mut scans = tokio::task::JoinSet::new();
    for server in lab.servers() {
        let mut job = scan_job(server.host.as_str(), server.addr.port(), &[lab.ca_file()]);
        job.target.connect_to = Some(server.addr.ip());
        // A lab server that does not speak TLS must not hold the test up.
        job.deadline = Some(std::time::Duration::from_secs(60));
        job.probe.timeout = std::time::Duration::from_secs(5);
        let name = server.name;
        scans.spawn(async move {
            let (report, observations) = tlsdoctor::scan::scan(&job).await;
            (name, job, report, observations)
        });
    }
    let mut replayed = 0;
    while let Some(joined) = scans.join_next().await {
        let (name, job, report, observations) = joined.expect("scan task");
        // Through the file format, as --save-observations writes it.
        let saved = serde_json::to_vec_pretty(&observations).expect("observations JSON");
        let loaded: model::Observations = serde_json::from_slice(&saved).expect("read back");
        let again = tlsdoctor::scan::judge(&loaded, &job.context);
        let json = |r: &model::ScanReport| serde_json::to_value(r).expect("report JSON");
        assert_eq!(
            json(&report),
            json(&again),
            "{name}: the replayed report differs from the scan's"
        );
        replayed += 1;
    }
    assert_eq!(replayed, lab.servers().len());
}
