//! The fleet report (`tlsdoctor report`): a run stored by `tlsdoctor batch`,
//! summarised for a terminal, as JSON, as CSV (one line per target) and as
//! one self-contained HTML page with inline SVG charts.
//!
//! Every string that came from the network or the target list goes through
//! [`clean`] (terminal, CSV) or [`escape`] (HTML).

use std::fmt::Write as _;

use analysis::fleet::{FleetSummary, ResultRow, RunInfo, Status};
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::{clean, Style};
use crate::listen::page::escape;

/// How many targets a code group names before "and N more".
const FIRST_TARGETS: usize = 3;
/// The widest text bar of the terminal grade chart.
const BAR_WIDTH: usize = 30;
/// Grades in the order the charts show them; any other grade follows.
const GRADE_ORDER: [&str; 10] = ["A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M"];

/// The terminal report of a run.
pub fn table(run: &RunInfo, summary: &FleetSummary, now: OffsetDateTime, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}) — created {}, {}",
        style.bold("tlsdoctor report: run"),
        clean(&run.id),
        clean(&run.depth),
        stamp(run.created),
        progress(run, summary),
    );

    section(&mut out, style, "Status");
    if summary.statuses.is_empty() {
        let _ = writeln!(out, "  {}", style.dim("no results yet"));
    }
    for (status, count) in ordered_statuses(summary) {
        let name = clean(&status);
        let painted = match Status::parse(&status) {
            Some(Status::Ok) => style.green(&format!("{name:<8}")),
            Some(Status::Warning) => style.yellow(&format!("{name:<8}")),
            Some(Status::Failed) => style.red(&format!("{name:<8}")),
            None => format!("{name:<8}"),
        };
        let _ = writeln!(out, "  {painted} {count:>6}");
    }

    let grades = ordered_grades(summary);
    if !grades.is_empty() {
        section(&mut out, style, "Grades");
        let max = grades.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
        let width = grades
            .iter()
            .map(|(g, _)| clean(g).chars().count())
            .max()
            .unwrap_or(0);
        for (grade, count) in &grades {
            let label = clean(grade);
            let pad = " ".repeat(width.saturating_sub(label.chars().count()));
            let bar = "█".repeat((count * BAR_WIDTH).div_ceil(max).max(1));
            let label = match grade.as_str() {
                "A+" | "A" => style.green(&label),
                "A-" | "B" => style.yellow(&label),
                "none" => style.dim(&label),
                _ => style.red(&label),
            };
            let _ = writeln!(out, "  {label}{pad}  {bar} {count}");
        }
    }

    section(&mut out, style, "Failing or warning, by code");
    if summary.by_code.is_empty() {
        let _ = writeln!(out, "  {}", style.green("none"));
    }
    let width = summary
        .by_code
        .iter()
        .map(|g| clean(&g.code).chars().count())
        .max()
        .unwrap_or(0);
    for group in &summary.by_code {
        let code = clean(&group.code);
        let pad = " ".repeat(width.saturating_sub(code.chars().count()));
        let _ = writeln!(
            out,
            "  {}{pad} {:>5}  {}",
            style.red(&code),
            group.targets.len(),
            first_few(&group.targets, style),
        );
    }

    section(
        &mut out,
        style,
        &format!(
            "Certificates expiring within {} days",
            summary.expiring_within_days
        ),
    );
    if summary.expiring.is_empty() {
        let _ = writeln!(out, "  {}", style.green("none"));
    }
    let width = summary
        .expiring
        .iter()
        .map(|e| clean(&e.target).chars().count())
        .max()
        .unwrap_or(0);
    let left_width = summary
        .expiring
        .iter()
        .map(|e| days_text(e.not_after, now).chars().count())
        .max()
        .unwrap_or(0);
    for e in &summary.expiring {
        let target = clean(&e.target);
        let pad = " ".repeat(width.saturating_sub(target.chars().count()));
        let left = format!("{:<left_width$}", days_text(e.not_after, now));
        let left = if e.not_after <= now {
            style.red(&left)
        } else if (e.not_after - now).whole_days() < 7 {
            style.yellow(&left)
        } else {
            left
        };
        let issuer = e
            .issuer
            .as_deref()
            .map(|i| format!("  {}", style.dim(&clean(i))))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {target}{pad}  {}  {left}{issuer}",
            e.not_after.to_offset(UtcOffset::UTC).date()
        );
    }

    match (&summary.changes, &run.previous) {
        (Some(changes), previous) => {
            let title = match previous {
                Some(p) => format!("Changes since run {}", clean(p)),
                None => "Changes since the previous run".to_string(),
            };
            section(&mut out, style, &title);
            if changes.is_empty() {
                let _ = writeln!(out, "  {}", style.dim("none"));
            }
            let width = changes
                .iter()
                .map(|c| clean(&c.target).chars().count())
                .max()
                .unwrap_or(0);
            for c in changes {
                let target = clean(&c.target);
                let pad = " ".repeat(width.saturating_sub(target.chars().count()));
                let before = c.before.as_deref().map(clean).unwrap_or_else(|| "-".into());
                let after = c.after.as_deref().map(clean).unwrap_or_else(|| "-".into());
                let what = format!("{:<11}", c.what);
                let _ = writeln!(
                    out,
                    "  {target}{pad}  {}  {} → {}",
                    style.bold(&what),
                    style.dim(&before),
                    after
                );
            }
        }
        (None, _) => {
            section(&mut out, style, "Changes");
            let _ = writeln!(out, "  {}", style.dim("no previous run"));
        }
    }
    out
}

/// The run and its summary as one JSON document.
pub fn json(run: &RunInfo, summary: &FleetSummary) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        schema_version: u32,
        run: &'a RunInfo,
        summary: &'a FleetSummary,
    }
    let doc = Document {
        schema_version: 1,
        run,
        summary,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("a fleet summary serializes");
    text.push('\n');
    text
}

/// One CSV line per target (RFC 4180 quoting; fields a spreadsheet would
/// read as a formula get a leading `'`).
pub fn csv(rows: &[ResultRow], now: OffsetDateTime) -> String {
    let mut out = String::from("target,status,code,grade,not_after,days_left,issuer,leaf_sha256\n");
    for row in rows {
        let f = &row.facts;
        let fields = [
            text_field(&row.target),
            text_field(f.status.map(Status::as_str).unwrap_or("")),
            text_field(f.code.as_deref().unwrap_or("")),
            text_field(f.grade.as_deref().unwrap_or("")),
            text_field(&f.not_after.map(rfc3339).unwrap_or_default()),
            f.not_after
                .map(|d| (d - now).whole_days().to_string())
                .unwrap_or_default(),
            text_field(f.issuer.as_deref().unwrap_or("")),
            text_field(f.leaf_sha256.as_deref().unwrap_or("")),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// The whole report as one self-contained HTML page.
pub fn html(
    run: &RunInfo,
    summary: &FleetSummary,
    rows: &[ResultRow],
    now: OffsetDateTime,
) -> String {
    let mut out = String::new();
    let id = escape(&run.id);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>tlsdoctor report: run {id}</title>");
    out.push_str(STYLE);
    out.push_str("</head>\n<body>\n");
    let _ = writeln!(out, "<h1>tlsdoctor report: run {id}</h1>");
    let _ = writeln!(
        out,
        "<p class=\"run\">{} run, created {}, {}.{}</p>",
        escape(&run.depth),
        stamp(run.created),
        escape(&progress(run, summary)),
        run.previous
            .as_deref()
            .map(|p| format!(" Previous run: {}.", escape(p)))
            .unwrap_or_default()
    );

    // Status counts.
    out.push_str("<h2>Status</h2>\n");
    if summary.statuses.is_empty() {
        out.push_str("<p class=\"dim\">No results yet.</p>\n");
    } else {
        out.push_str("<ul class=\"statuses\">\n");
        for (status, count) in ordered_statuses(summary) {
            let _ = writeln!(
                out,
                "<li class=\"{}\"><span>{}</span> {count}</li>",
                status_class(&status),
                escape(&status)
            );
        }
        out.push_str("</ul>\n");
    }

    // Grades.
    let grades = ordered_grades(summary);
    if !grades.is_empty() {
        out.push_str("<h2>Grades</h2>\n");
        let bars: Vec<Bar> = grades
            .iter()
            .map(|(g, n)| Bar {
                label: g.clone(),
                count: *n,
                class: grade_class(g),
            })
            .collect();
        out.push_str(&bar_chart(
            "grades",
            "Grade distribution",
            "grade",
            "targets",
            &bars,
        ));
    }

    // By code.
    out.push_str("<h2>Failing or warning, by code</h2>\n");
    if summary.by_code.is_empty() {
        out.push_str("<p class=\"ok\">None.</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>Code</th><th>Targets</th><th>Which</th></tr></thead>\n\
             <tbody>\n",
        );
        for group in &summary.by_code {
            let which: Vec<String> = group.targets.iter().map(|t| escape(t)).collect();
            let _ = writeln!(
                out,
                "<tr><td class=\"code\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&group.code),
                group.targets.len(),
                which.join(", ")
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    // Expiry.
    let _ = writeln!(
        out,
        "<h2>Certificate expiry</h2>\n{}",
        bar_chart(
            "expiry",
            "Certificates by expiry month",
            "month of notAfter (UTC)",
            "certificates",
            &expiry_bars(&summary.expiry_dates, now),
        )
    );
    let _ = writeln!(
        out,
        "<h3>Expiring within {} days</h3>",
        summary.expiring_within_days
    );
    if summary.expiring.is_empty() {
        out.push_str("<p class=\"ok\">None.</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>Target</th><th>notAfter</th><th>Days left</th>\
             <th>Issuer</th></tr></thead>\n<tbody>\n",
        );
        for e in &summary.expiring {
            let class = if e.not_after <= now {
                "failed"
            } else {
                "warning"
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"date\">{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
                escape(&e.target),
                e.not_after.to_offset(UtcOffset::UTC).date(),
                escape(&days_text(e.not_after, now)),
                escape(e.issuer.as_deref().unwrap_or("")),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    // Changes.
    match &summary.changes {
        None => out.push_str("<h2>Changes</h2>\n<p class=\"dim\">No previous run.</p>\n"),
        Some(changes) => {
            let _ = writeln!(
                out,
                "<h2>Changes since run {}</h2>",
                run.previous
                    .as_deref()
                    .map(escape)
                    .unwrap_or_else(|| "(previous)".into())
            );
            if changes.is_empty() {
                out.push_str("<p class=\"dim\">None.</p>\n");
            } else {
                out.push_str(
                    "<table>\n<thead><tr><th>Target</th><th>What</th><th>Before</th>\
                     <th>After</th></tr></thead>\n<tbody>\n",
                );
                for c in changes {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&c.target),
                        escape(c.what),
                        escape(c.before.as_deref().unwrap_or("–")),
                        escape(c.after.as_deref().unwrap_or("–")),
                    );
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }

    // Every target: failed first, then warnings, then ok; by target within.
    let _ = writeln!(out, "<h2>All targets ({})</h2>", rows.len());
    let mut sorted: Vec<&ResultRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        severity(a.facts.status)
            .cmp(&severity(b.facts.status))
            .then_with(|| a.target.cmp(&b.target))
    });
    out.push_str(
        "<table class=\"all\">\n<thead><tr><th>Target</th><th>Status</th><th>Code</th>\
         <th>Grade</th><th>notAfter</th><th>Days left</th><th>Issuer</th>\
         <th>Leaf SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for row in sorted {
        let f = &row.facts;
        let status = f.status.map(Status::as_str).unwrap_or("");
        let (date, left, left_class) = match f.not_after {
            Some(d) => {
                let days = (d - now).whole_days();
                let class = if d <= now {
                    "failed"
                } else if days < summary.expiring_within_days {
                    "warning"
                } else {
                    ""
                };
                (
                    d.to_offset(UtcOffset::UTC).date().to_string(),
                    days.to_string(),
                    class,
                )
            }
            None => (String::new(), String::new(), ""),
        };
        let grade = f.grade.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td class=\"code\">{}</td>\
             <td class=\"{}\">{}</td><td class=\"date\">{date}</td><td class=\"num {left_class}\">{left}</td>\
             <td>{}</td><td class=\"hash\">{}</td></tr>",
            escape(&row.target),
            status_class(status),
            escape(status),
            escape(f.code.as_deref().unwrap_or("")),
            grade_class(grade),
            escape(grade),
            escape(f.issuer.as_deref().unwrap_or("")),
            escape(f.leaf_sha256.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        out,
        "<footer>Rendered {} by tlsdoctor.</footer>\n</body>\n</html>",
        stamp(now)
    );
    out
}

const STYLE: &str = "<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.2em 0.7em; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f4f4f4; }
td.date { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.code, td.hash { font-family: ui-monospace, monospace; }
td.hash { font-size: 0.75em; word-break: break-all; }
.ok { color: #17692b; } .warning { color: #8a5a00; } .failed { color: #b00020; } .dim, footer { color: #777; }
ul.statuses { list-style: none; padding: 0; display: flex; gap: 2em; font-size: 1.2em; }
ul.statuses span { font-weight: bold; }
svg { display: block; margin: 0.5em 0; font-family: system-ui, sans-serif; }
svg .axis { stroke: #555; stroke-width: 1; }
svg .bar-ok { fill: #3c9a52; } svg .bar-warning { fill: #e0a030; } svg .bar-failed { fill: #c83040; }
svg .bar-neutral { fill: #5b7fb5; }
svg text { font-size: 11px; fill: #333; }
footer { margin-top: 3em; font-size: 0.8em; }
</style>
";

/// One bar of an SVG chart.
struct Bar {
    label: String,
    count: usize,
    /// CSS class suffix: `ok`, `warning`, `failed` or `neutral`.
    class: &'static str,
}

/// A vertical bar chart: one bar per entry, its count above it, its label
/// below, a y axis with the maximum.
fn bar_chart(id: &str, title: &str, x_label: &str, y_label: &str, bars: &[Bar]) -> String {
    const SLOT: usize = 56;
    const BAR: usize = 40;
    const LEFT: usize = 44;
    const TOP: usize = 24;
    const PLOT: usize = 160;
    let width = LEFT + SLOT * bars.len().max(1) + 16;
    let height = TOP + PLOT + 48;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let base = TOP + PLOT;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"chart-{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{}\">\n<title>{}</title>",
        escape(title),
        escape(title)
    );
    // Axes: y with 0 and the maximum, x along the base.
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\"/>\n\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\n\
         <line class=\"axis\" x1=\"{}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{TOP}\"/>\n\
         <text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>",
        width - 8,
        LEFT - 6,
        TOP + 4,
        LEFT - 6,
        base,
        LEFT - 4,
        TOP + PLOT / 2,
        TOP + PLOT / 2,
        escape(y_label),
    );
    for (i, bar) in bars.iter().enumerate() {
        let h = bar.count * PLOT / max;
        let x = LEFT + SLOT * i + (SLOT - BAR) / 2;
        let mid = x + BAR / 2;
        let label = escape(&bar.label);
        let _ = writeln!(
            svg,
            "<g class=\"bar\" data-label=\"{label}\" data-count=\"{}\">\
             <title>{label}: {}</title>\
             <rect class=\"bar-{}\" x=\"{x}\" y=\"{}\" width=\"{BAR}\" height=\"{h}\"/>\
             <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{label}</text></g>",
            bar.count,
            bar.count,
            bar.class,
            base - h,
            base - h - 4,
            bar.count,
            base + 14,
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>",
        LEFT + SLOT * bars.len().max(1) / 2,
        base + 36,
        escape(x_label)
    );
    svg
}

/// The expiry chart's bars: `expired`, then twelve months from `now`'s
/// month (UTC), then `later`.
fn expiry_bars(dates: &[OffsetDateTime], now: OffsetDateTime) -> Vec<Bar> {
    let now = now.to_offset(UtcOffset::UTC);
    let (year, month) = (now.year(), u8::from(now.month()) as i32);
    let mut expired = 0;
    let mut later = 0;
    let mut months = [0usize; 12];
    for date in dates {
        let date = date.to_offset(UtcOffset::UTC);
        if date <= now {
            expired += 1;
            continue;
        }
        let index = (date.year() - year) * 12 + (u8::from(date.month()) as i32 - month);
        match usize::try_from(index) {
            Ok(i) if i < months.len() => months[i] += 1,
            _ => later += 1,
        }
    }
    let mut bars = vec![Bar {
        label: "expired".into(),
        count: expired,
        class: "failed",
    }];
    for (i, count) in months.iter().enumerate() {
        let m = month - 1 + i as i32;
        bars.push(Bar {
            label: format!("{}-{:02}", year + m / 12, m % 12 + 1),
            count: *count,
            class: if i == 0 { "warning" } else { "neutral" },
        });
    }
    bars.push(Bar {
        label: "later".into(),
        count: later,
        class: "ok",
    });
    bars
}

/// Statuses ok, warning, failed, then anything else the store had.
fn ordered_statuses(summary: &FleetSummary) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = summary
        .statuses
        .iter()
        .map(|(s, n)| (s.clone(), *n))
        .collect();
    let rank = |s: &str| match Status::parse(s) {
        Some(Status::Ok) => 0,
        Some(Status::Warning) => 1,
        Some(Status::Failed) => 2,
        None => 3,
    };
    out.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Grades A+ … F, T, M, then any other (`none` last).
fn ordered_grades(summary: &FleetSummary) -> Vec<(String, usize)> {
    let rank = |g: &str| {
        GRADE_ORDER
            .iter()
            .position(|o| *o == g)
            .unwrap_or(if g == "none" {
                usize::MAX
            } else {
                GRADE_ORDER.len()
            })
    };
    let mut out: Vec<(String, usize)> = summary
        .grades
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(g, n)| (g.clone(), *n))
        .collect();
    out.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Failed 0, warning 1, ok 2, unknown 3 (sorting the worst first).
fn severity(status: Option<Status>) -> u8 {
    match status {
        Some(Status::Failed) => 0,
        Some(Status::Warning) => 1,
        Some(Status::Ok) => 2,
        None => 3,
    }
}

fn status_class(status: &str) -> &'static str {
    match Status::parse(status) {
        Some(Status::Ok) => "ok",
        Some(Status::Warning) => "warning",
        Some(Status::Failed) => "failed",
        None => "dim",
    }
}

fn grade_class(grade: &str) -> &'static str {
    match grade {
        "A+" | "A" => "ok",
        "A-" | "B" => "warning",
        "" | "none" => "neutral",
        _ => "failed",
    }
}

/// `finished …` or `unfinished: X of Y targets have a result`.
fn progress(run: &RunInfo, summary: &FleetSummary) -> String {
    match run.finished {
        Some(done) => format!("finished {}", stamp(done)),
        None => format!(
            "unfinished: {} of {} targets have a result",
            summary.results, summary.targets
        ),
    }
}

/// `in N days`, `expires today`, `expired today` or `expired N days ago`.
fn days_text(not_after: OffsetDateTime, now: OffsetDateTime) -> String {
    let plural = |n: i64| if n == 1 { "day" } else { "days" };
    if not_after <= now {
        match (now - not_after).whole_days() {
            0 => "expired today".into(),
            n => format!("expired {n} {} ago", plural(n)),
        }
    } else {
        match (not_after - now).whole_days() {
            0 => "expires today".into(),
            n => format!("in {n} {}", plural(n)),
        }
    }
}

/// The first few targets of a group, then `and N more`.
fn first_few(targets: &[String], style: Style) -> String {
    let shown: Vec<String> = targets
        .iter()
        .take(FIRST_TARGETS)
        .map(|t| clean(t))
        .collect();
    let mut text = shown.join(", ");
    if targets.len() > FIRST_TARGETS {
        let _ = write!(
            text,
            " {}",
            style.dim(&format!("and {} more", targets.len() - FIRST_TARGETS))
        );
    }
    text
}

fn section(out: &mut String, style: Style, title: &str) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold(title));
}

/// `2026-12-01 09:30 UTC`.
fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A CSV text field: control characters dropped, a leading `'` where a
/// spreadsheet would read a formula (OWASP CSV injection), quoted when it
/// holds a comma, a quote, CR or LF.
fn text_field(text: &str) -> String {
    let mut text = clean(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::fleet::{summarize, TargetFacts};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-10 12:00 UTC);

    fn row(
        target: &str,
        status: Status,
        code: Option<&str>,
        grade: Option<&str>,
        days: Option<i64>,
    ) -> ResultRow {
        ResultRow {
            target: target.into(),
            facts: TargetFacts {
                status: Some(status),
                code: code.map(Into::into),
                grade: grade.map(Into::into),
                not_after: days.map(|d| NOW + time::Duration::days(d)),
                leaf_sha256: Some(format!("{:064X}", target.len())),
                issuer: Some("CN=Test CA, O=Example".into()),
            },
        }
    }

    fn rows() -> Vec<ResultRow> {
        vec![
            row("a.example:443", Status::Ok, None, Some("A+"), Some(200)),
            row(
                "b.example:443",
                Status::Warning,
                Some("cert_expired"),
                Some("T"),
                Some(-3),
            ),
            row(
                "c.example:443",
                Status::Failed,
                Some("tcp_refused"),
                None,
                None,
            ),
            row(
                "d.example:443",
                Status::Warning,
                Some("cert_expired"),
                Some("T"),
                Some(-40),
            ),
            row("e.example:443", Status::Ok, None, Some("A"), Some(20)),
            row("f.example:443", Status::Ok, None, Some("A"), Some(800)),
        ]
    }

    fn run(finished: bool, previous: Option<&str>) -> RunInfo {
        RunInfo {
            id: "r2".into(),
            depth: "scan".into(),
            created: datetime!(2026-12-10 11:00 UTC),
            finished: finished.then_some(datetime!(2026-12-10 11:30 UTC)),
            previous: previous.map(Into::into),
        }
    }

    #[test]
    fn renders_in_all_four_formats() {
        let now_rows = rows();
        let mut before = rows();
        before[2].facts.status = Some(Status::Ok);
        before[2].facts.code = None;
        let s = summarize(&now_rows, 7, Some(&before), NOW, 30);
        let r = run(false, Some("r1"));
        let plain = Style { color: false };

        let t = table(&r, &s, NOW, plain);
        assert!(t.contains("tlsdoctor report: run r2 (scan)"), "{t}");
        assert!(
            t.contains("unfinished: 6 of 7 targets have a result"),
            "{t}"
        );
        assert!(t.contains("Grades"), "{t}");
        assert!(t.contains("cert_expired"), "{t}");
        assert!(t.contains("expired 3 days ago"), "{t}");
        assert!(t.contains("expired 40 days ago"), "{t}");
        assert!(t.contains("in 20 days"), "{t}");
        assert!(t.contains("Certificates expiring within 30 days"), "{t}");
        assert!(t.contains("Changes since run r1"), "{t}");
        assert!(t.contains("c.example:443  status"), "{t}");
        // Grade chart order: A+ before A before T.
        let (ap, a, tt) = (
            t.find("A+ ").unwrap(),
            t.find("\n  A  ").unwrap(),
            t.find("\n  T  ").unwrap(),
        );
        assert!(ap < a && a < tt, "{t}");
        // Expired in red when coloured.
        let coloured = table(&r, &s, NOW, Style { color: true });
        assert!(coloured.contains("\x1b[31mexpired 3 days ago "));

        let finished = table(
            &run(true, None),
            &summarize(&now_rows, 6, None, NOW, 30),
            NOW,
            plain,
        );
        assert!(
            finished.contains("finished 2026-12-10 11:30 UTC"),
            "{finished}"
        );
        assert!(finished.contains("no previous run"), "{finished}");

        let j = json(&r, &s);
        assert!(j.ends_with("}\n"));
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["run"]["id"], "r2");
        assert_eq!(v["summary"]["results"], 6);
        assert_eq!(v["summary"]["by_code"][0]["code"], "cert_expired");

        let c = csv(&now_rows, NOW);
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            "target,status,code,grade,not_after,days_left,issuer,leaf_sha256"
        );
        assert!(
            lines[2].starts_with("b.example:443,warning,cert_expired,T,2026-12-07T12:00:00Z,-3,"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("c.example:443,failed,tcp_refused,,,,"),
            "{}",
            lines[3]
        );

        let h = html(&r, &s, &now_rows, NOW);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("<meta charset=\"utf-8\">"));
        assert!(h.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
        assert!(!h.contains("<script"));
        assert!(!h.contains("src=\"http") && !h.contains("href=\"http") && !h.contains("url("));
        assert!(h.contains("id=\"chart-expiry\""));
        assert!(h.contains("id=\"chart-grades\""));
        assert!(h.contains("Changes since run r1"));
        assert!(h.contains("All targets (6)"));
        // Failed rows come first in the full table.
        let all = &h[h.find("All targets").unwrap()..];
        assert!(all.find("c.example:443").unwrap() < all.find("a.example:443").unwrap());
        // Grade bars in order, only those present.
        let g = &h[h.find("id=\"chart-grades\"").unwrap()..];
        let g = &g[..g.find("</svg>").unwrap()];
        assert!(g.contains("data-label=\"A+\" data-count=\"1\""));
        assert!(g.contains("data-label=\"A\" data-count=\"2\""));
        assert!(g.contains("data-label=\"T\" data-count=\"2\""));
        assert!(!g.contains("data-label=\"B\""));
        assert!(g.find("\"A+\"").unwrap() < g.find("\"A\"").unwrap());
        assert!(g.find("\"A\"").unwrap() < g.find("\"T\"").unwrap());
    }

    #[test]
    fn html_escapes_hostile_targets() {
        let evil = "<script>alert(1)</script>";
        let mut rows = rows();
        rows.push(row(
            evil,
            Status::Failed,
            Some("x\"><img src=x>"),
            Some("<b>"),
            Some(5),
        ));
        rows[0].facts.issuer = Some("CN='quoted' & <co>".into());
        let s = summarize(&rows, 7, Some(&rows[..1]), NOW, 30);
        let h = html(&run(true, Some("<r1>")), &s, &rows, NOW);
        assert!(!h.contains(evil));
        assert!(!h.contains("<script"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("<b>"));
        assert!(!h.contains("<r1>"));
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("CN=&#39;quoted&#39; &amp; &lt;co&gt;"));
        assert!(h.contains("x&quot;&gt;&lt;img src=x&gt;"));
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let mut rows = vec![
            row("=cmd|' /C calc'!A0", Status::Ok, None, None, Some(-2)),
            row("plain:443", Status::Ok, Some("-bad"), Some("@x"), Some(1)),
            row("quote\"me:443", Status::Ok, None, Some("+1"), None),
        ];
        rows[1].facts.issuer = Some("CN=Test, O=\"Example\"".into());
        let c = csv(&rows, NOW);
        let lines: Vec<&str> = c.lines().collect();
        assert!(
            lines[1].starts_with("'=cmd|' /C calc'!A0,ok,"),
            "{}",
            lines[1]
        );
        // days_left is numeric and may be negative: never prefixed.
        assert!(lines[1].contains(",-2,"), "{}", lines[1]);
        assert!(
            lines[2].starts_with("plain:443,ok,'-bad,'@x,2026-12-11T12:00:00Z,1,"),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].contains(",\"CN=Test, O=\"\"Example\"\"\","),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("\"quote\"\"me:443\",ok,,'+1,,,"),
            "{}",
            lines[3]
        );
        // Line breaks inside a field are quoted, not emitted raw... and
        // control characters are dropped altogether.
        assert_eq!(text_field("a\nb"), "ab");
        assert_eq!(text_field("a,b"), "\"a,b\"");
        assert_eq!(text_field("\t=1"), "'=1");
        assert_eq!(text_field("-"), "'-");
    }

    #[test]
    fn expiry_chart_counts_months() {
        let now = datetime!(2026-12-10 12:00 UTC);
        let at = |s: &str| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
        };
        let dates = vec![
            at("2026-12-01T00:00:00Z"), // expired
            at("2026-12-10T11:59:00Z"), // expired (a minute ago)
            at("2026-12-31T23:59:59Z"), // this month
            at("2027-01-01T00:00:00Z"), // next month
            at("2027-01-15T00:00:00Z"), // next month
            at("2027-01-31T23:00:00Z"), // next month
            at("2027-11-30T00:00:00Z"), // twelfth month
            at("2027-12-01T00:00:00Z"), // later
            at("2030-01-01T00:00:00Z"), // later
        ];
        let bars = expiry_bars(&dates, now);
        let got: Vec<(&str, usize)> = bars.iter().map(|b| (b.label.as_str(), b.count)).collect();
        assert_eq!(got.len(), 14);
        assert_eq!(got[0], ("expired", 2));
        assert_eq!(got[1], ("2026-12", 1));
        assert_eq!(got[2], ("2027-01", 3));
        assert_eq!(got[12], ("2027-11", 1));
        assert_eq!(got[13], ("later", 2));
        assert_eq!(got.iter().map(|(_, n)| n).sum::<usize>(), dates.len());

        // Through summarize and the page: the next month's bar says 3.
        let rows: Vec<ResultRow> = dates
            .iter()
            .enumerate()
            .map(|(i, d)| ResultRow {
                target: format!("t{i}:443"),
                facts: TargetFacts {
                    status: Some(Status::Ok),
                    not_after: Some(*d),
                    ..Default::default()
                },
            })
            .collect();
        let s = summarize(&rows, rows.len(), None, now, 30);
        let h = html(&run(true, None), &s, &rows, now);
        assert!(h.contains("data-label=\"2027-01\" data-count=\"3\""), "{h}");
        assert!(h.contains("<title>2027-01: 3</title>"));
        assert!(h.contains(">2027-01</text>"));
        assert!(h.contains("data-label=\"expired\" data-count=\"2\""));
        assert!(h.contains("data-label=\"later\" data-count=\"2\""));
        // No grades at all: no grade chart.
        assert!(!h.contains("chart-grades"));
    }

    #[test]
    fn table_drops_control_characters() {
        let hostile = "\x1b[31mevil\x1b[0m:443";
        let mut rows = rows();
        rows.push(row(
            hostile,
            Status::Failed,
            Some("tcp\x07_refused"),
            Some("F\x1b"),
            Some(3),
        ));
        rows[0].facts.issuer = Some("CN=\x1b]0;title\x07".into());
        let mut before = rows.clone();
        before.last_mut().unwrap().facts.status = Some(Status::Ok);
        let s = summarize(&rows, rows.len(), Some(&before), NOW, 365);
        let mut r = run(true, Some("r\x1b1"));
        r.id = "r\x1b[2J2".into();
        let t = table(&r, &s, NOW, Style { color: false });
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        assert!(t.contains("[31mevil[0m:443"), "{t}");
        // With colour, the only escapes are ours (each followed by a known code).
        let coloured = table(&r, &s, NOW, Style { color: true });
        for (i, _) in coloured.match_indices('\x1b') {
            let rest = &coloured[i + 1..];
            assert!(
                ["[0m", "[1m", "[2m", "[31m", "[32m", "[33m"]
                    .iter()
                    .any(|code| rest.starts_with(code)),
                "{coloured:?}"
            );
        }
        let c = csv(&rows, NOW);
        assert!(!c.chars().any(|c| c.is_control() && c != '\n'));
    }
}
