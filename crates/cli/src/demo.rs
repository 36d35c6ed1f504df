//! `tlsdoctor demo`: start the lab, diagnose every lab server, and check that
//! each yields the diagnosis the lab says it must.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use model::{Report, Target};

use crate::engine::{self, Diagnose};
use crate::render::{clean, Style};

/// One lab server's diagnosis next to what the lab expects.
pub struct DemoRow {
    pub server: String,
    pub fault: String,
    pub expect: String,
    pub report: Report,
}

impl DemoRow {
    pub fn passed(&self) -> bool {
        self.report.primary_code().as_str() == self.expect
    }
}

/// Options for the demo run.
pub struct DemoOptions {
    pub timeout: Duration,
    pub only: Option<Vec<String>>,
}

/// Starts the lab, diagnoses each server concurrently, stops the lab.
pub async fn run(options: &DemoOptions, base: &analysis::Context) -> Result<Vec<DemoRow>> {
    let lab = lab::Lab::start(lab::LabConfig {
        only: options.only.clone(),
        ..Default::default()
    })
    .await?;
    let ca = crate::trust::load_certificates(lab.ca_file())?;
    let mut context = base.clone();
    context.trust.ca_file = ca;
    let context = Arc::new(context);
    let mut tasks = Vec::new();
    for server in lab.servers() {
        let mut target = Target::new(server.host.clone(), server.addr.port());
        target.connect_to = Some(server.addr.ip());
        let job = Diagnose {
            target,
            context: (*context).clone(),
            probe: probe::ProbeOptions {
                timeout: options.timeout,
                ..Default::default()
            },
        };
        let (name, fault, expect) = (
            server.name.to_string(),
            server.fault.to_string(),
            server.expect.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let (report, _) = engine::diagnose(&job).await;
            DemoRow {
                server: name,
                fault,
                expect,
                report,
            }
        }));
    }
    let mut rows = Vec::new();
    for task in tasks {
        rows.push(task.await?);
    }
    lab.shutdown().await;
    Ok(rows)
}

/// The demo table: server, verdict, code, expected, and the first fix line.
pub fn table(rows: &[DemoRow], style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:<8} {:<24} {:<5} first step of the fix",
        "server", "verdict", "diagnosis", "match"
    );
    for row in rows {
        let verdict = format!("{:?}", row.report.verdict).to_lowercase();
        let code = row.report.primary_code().as_str();
        let fix = row
            .report
            .diagnoses
            .first()
            .and_then(|d| d.fix.first())
            .map(|f| clean(f))
            .unwrap_or_else(|| "-".into());
        let fix: String = fix.chars().take(70).collect();
        let matched = if row.passed() {
            style.green("yes")
        } else {
            style.red(&format!("NO (expected {})", row.expect))
        };
        let verdict = match row.report.verdict {
            model::Verdict::Ok => style.green(&format!("{verdict:<8}")),
            model::Verdict::Warning => style.yellow(&format!("{verdict:<8}")),
            model::Verdict::Failed => style.red(&format!("{verdict:<8}")),
        };
        let _ = writeln!(
            out,
            "{:<22} {} {:<24} {:<5} {}",
            row.server, verdict, code, matched, fix
        );
    }
    let passed = rows.iter().filter(|r| r.passed()).count();
    let total_conns: usize = rows.iter().map(|r| r.report.connections).sum();
    let _ = writeln!(
        out,
        "\n{passed}/{} lab servers diagnosed as expected ({total_conns} connections).",
        rows.len()
    );
    out
}

/// Used by the demo to present the lab's loopback address.
pub fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}
