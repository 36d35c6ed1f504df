//! The outbound-request policy seen from the report: `openssl s_server`
//! (on loopback) serves a leaf without its intermediate, and the leaf's AIA
//! caIssuers URL names the cloud metadata address. The fetch is refused
//! before any packet (a loopback target may fetch from loopback only) and
//! the diagnosis says so; the chain is still called incomplete from the
//! published URL. Loopback only: nothing is ever sent to 169.254.169.254.

mod common;

use common::{intermediate, leaf_with, openssl_server, root, TempDir};
use model::Code;

#[tokio::test]
async fn a_metadata_url_in_a_certificate_is_refused_and_the_report_says_so() {
    let dir = TempDir::new("fetch-policy");
    let ca = root("fetch policy root");
    let inter = intermediate("fetch policy intermediate", &ca);
    let url = "http://169.254.169.254/latest/meta-data/iam/";
    let (cert, key) = leaf_with(&["localhost"], -1, 30, Some(&inter), Some(url));
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let ca_file = dir.write("ca.pem", &ca.pem());
    let server = openssl_server(&cert, &key, &["-tls1_3"]);
    let report = common::diagnose(server.port, Some(&ca_file), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertChainIncomplete,
        "{report:#?}"
    );
    let evidence = report.diagnoses[0].evidence.join("\n");
    assert!(
        evidence
            .contains("refused 169.254.169.254: a link-local address, the cloud metadata service"),
        "{evidence}"
    );
    assert!(evidence.contains("--allow-private-fetch"), "{evidence}");
}
