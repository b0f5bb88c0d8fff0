//! `spatialclaw report`: a static site over one or more run directories.
//!
//! ```text
//! OUT/index.html                      the dashboard
//! OUT/sessions/r<k>-<run>/<sample>.html  every sample's session page, rendered afresh from the
//!                                     run's trajectory.json + its predictions.jsonl record
//! ```
//! Session pages are re-rendered rather than copied so that every sample (even one that failed
//! before its agent started) has a page, and pages carry the verdict from the final record.
//!
//! Numbers: a run's accuracy is its `results_summary.json` headline when present (the original's
//! official number, as a fraction), otherwise the mean per-sample score with failed samples
//! counted as 0 (what the original's evaluate does with a missing answer), marked "mean" so the
//! two are never confused. Suite averages use `spatialclaw_evals::scoring::suite` and say which
//! protocol and which benchmarks are missing.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use spatialclaw_evals::scoring::benchmarks::{Aggregation, PAPER_BENCHMARKS, Summary, benchmark};
use spatialclaw_evals::scoring::suite::{SuiteAverage, paper_average, released_average};
use spatialclaw_evals::store::Prediction;

use crate::error::ReportError;
use crate::html::{Html, page};
use crate::radar::{PALETTE, Series, radar_svg};
use crate::run::{RunData, load_run};
use crate::session::{
    SessionExtras, Verdict, count, render_session_dir, render_session_report, sample_score,
    value_score, write_atomically,
};

/// Numbers of one run, as the dashboard shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    pub samples: usize,
    pub failed: usize,
    /// The headline from `results_summary.json`, as a fraction, with its key.
    pub headline: Option<(String, f64)>,
    /// Mean per-sample score over scored samples, failures counted as 0.
    pub mean_score: Option<f64>,
    /// Total tokens (prompt + completion) over samples that report usage.
    pub tokens: u64,
    pub mean_steps: Option<f64>,
}

impl RunStats {
    /// The number shown as the run's accuracy: the official headline when there is one.
    pub fn accuracy(&self) -> Option<f64> {
        self.headline.as_ref().map(|(_, v)| *v).or(self.mean_score)
    }
}

/// The per-sample score under the paper protocol: failures count 0, `score: null` or a missing
/// `result` excludes the sample.
pub fn paper_sample_score(p: &Prediction) -> Option<f64> {
    if p.is_failed() {
        Some(0.0)
    } else {
        sample_score(p)
    }
}

fn usage_tokens(usage: &Value) -> u64 {
    let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
    n("total_prompt_tokens")
        + n("total_completion_tokens")
        + n("prompt_tokens")
        + n("completion_tokens")
}

/// The headline of a `results_summary.json`, as a fraction: `overall_accuracy`, or
/// `overall_score` in percent (SPAR, VSTI).
pub fn headline(summary: &Value) -> Option<(String, f64)> {
    if let Some(v) = summary.get("overall_accuracy").and_then(value_score) {
        return Some(("overall_accuracy".into(), v));
    }
    summary
        .get("overall_score")
        .and_then(value_score)
        .map(|v| ("overall_score".into(), v / 100.0))
}

pub fn run_stats(run: &RunData) -> RunStats {
    let samples = run.predictions.len();
    let failed = run.predictions.iter().filter(|p| p.is_failed()).count();
    let scores: Vec<f64> = run
        .predictions
        .iter()
        .filter_map(paper_sample_score)
        .collect();
    let mean_score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let steps: Vec<f64> = run
        .predictions
        .iter()
        .filter_map(|p| p.extra.get("steps").and_then(Value::as_f64))
        .collect();
    RunStats {
        samples,
        failed,
        headline: run.summary.as_ref().and_then(headline),
        mean_score,
        tokens: run.predictions.iter().map(|p| usage_tokens(&p.usage)).sum(),
        mean_steps: (!steps.is_empty()).then(|| steps.iter().sum::<f64>() / steps.len() as f64),
    }
}

/// Per-sample scores in data order: by an `index` key when every record has one, else file order.
fn ordered_scores(run: &RunData) -> Vec<Option<f64>> {
    let mut recs: Vec<&Prediction> = run.predictions.iter().collect();
    let index = |p: &Prediction| p.extra.get("index").and_then(Value::as_u64);
    if recs.iter().all(|p| index(p).is_some()) {
        recs.sort_by_key(|p| index(p));
    }
    recs.into_iter().map(paper_sample_score).collect()
}

/// Suite averages of one model × interface over its runs.
#[derive(Debug, Clone)]
pub struct SuiteRow {
    pub model: String,
    pub interface: String,
    pub released: SuiteAverage,
    pub paper: SuiteAverage,
}

/// Both suite averages for every model × interface among `runs`. A benchmark with no
/// `results_summary.json` has no released-protocol number (it is listed as missing there); the
/// paper protocol only needs per-sample scores.
pub fn suite_rows(runs: &[RunData]) -> Vec<SuiteRow> {
    let mut groups: BTreeMap<(String, String), Vec<&RunData>> = BTreeMap::new();
    for r in runs {
        groups
            .entry((r.model.clone(), r.interface.clone()))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .map(|((model, interface), runs)| {
            let mut summaries = Vec::new();
            let mut per_sample: Vec<(&'static str, Vec<Option<f64>>)> = Vec::new();
            for r in &runs {
                let Some(b) = benchmark(&r.benchmark) else {
                    continue;
                };
                if let Some((key, value)) = r.summary.as_ref().and_then(headline) {
                    summaries.push(Summary {
                        benchmark: b.name(),
                        headline_key: if key == "overall_score" {
                            "overall_score"
                        } else {
                            "overall_accuracy"
                        },
                        headline: if key == "overall_score" {
                            value * 100.0
                        } else {
                            value
                        },
                        headline_fraction: value,
                        aggregation: Aggregation::Micro,
                        total_samples: r.predictions.len(),
                        fields: r
                            .summary
                            .as_ref()
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_else(Map::new),
                    });
                }
                per_sample.push((b.name(), ordered_scores(r)));
            }
            let borrowed: Vec<(&str, &[Option<f64>])> =
                per_sample.iter().map(|(n, s)| (*n, s.as_slice())).collect();
            SuiteRow {
                model,
                interface,
                released: released_average(&summaries),
                paper: paper_average(&borrowed),
            }
        })
        .collect()
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn display_name(b: &str) -> String {
    benchmark(b)
        .map(|b| b.display_name().to_owned())
        .unwrap_or_else(|| b.to_owned())
}

/// File-name-safe form of an id; distinct ids stay distinct through `taken`.
fn slug(raw: &str, taken: &mut HashSet<String>) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    let mut candidate = s.clone();
    let mut k = 1;
    while !taken.insert(candidate.clone()) {
        k += 1;
        candidate = format!("{s}-{k}");
    }
    candidate
}

/// What `write_site` produced.
#[derive(Debug, Clone)]
pub struct SiteSummary {
    pub index: PathBuf,
    pub runs: usize,
    pub session_pages: usize,
    /// Non-fatal problems (bad lines, corrupt files), also shown on the dashboard.
    pub problems: Vec<String>,
}

/// Reads `dirs` and writes the dashboard and every session page under `out`.
pub fn write_site(dirs: &[PathBuf], out: &Path) -> Result<SiteSummary, ReportError> {
    if dirs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let runs = dirs
        .iter()
        .map(|d| load_run(d))
        .collect::<Result<Vec<_>, _>>()?;
    std::fs::create_dir_all(out).map_err(ReportError::io(out))?;
    let mut links: Vec<Vec<String>> = Vec::new();
    let mut run_slugs = HashSet::new();
    let mut pages = 0;
    for (k, run) in runs.iter().enumerate() {
        let name = run
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let run_slug = slug(&format!("r{k}-{name}"), &mut run_slugs);
        let folder = out.join("sessions").join(&run_slug);
        std::fs::create_dir_all(&folder).map_err(ReportError::io(&folder))?;
        let mut taken = HashSet::new();
        let mut run_links = Vec::new();
        for p in &run.predictions {
            let file = format!("{}.html", slug(&p.sample_id, &mut taken));
            let html = match run.session_dir(&p.sample_id) {
                Some(dir) => render_session_dir(&dir, &p.sample_id, Some(p), Some(run.label()))?,
                None => render_session_report(
                    &p.sample_id,
                    None,
                    Some(p),
                    &SessionExtras {
                        run_label: Some(run.label()),
                        ..Default::default()
                    },
                ),
            };
            write_atomically(&folder.join(&file), html.as_bytes())?;
            pages += 1;
            run_links.push(format!("sessions/{run_slug}/{file}"));
        }
        links.push(run_links);
    }
    let index = out.join("index.html");
    write_atomically(&index, render_dashboard(&runs, &links).as_bytes())?;
    let problems = runs
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| format!("{}: {p}", r.dir.display()))
        })
        .collect();
    Ok(SiteSummary {
        index,
        runs: runs.len(),
        session_pages: pages,
        problems,
    })
}

/// The dashboard page. `links[k][i]` is the relative link of run k's i-th prediction.
pub fn render_dashboard(runs: &[RunData], links: &[Vec<String>]) -> String {
    let stats: Vec<RunStats> = runs.iter().map(run_stats).collect();
    let mut h = Html::new();
    h.raw("<main class=\"dashboard\">");
    h.elem("h1", &[], "SpatialClaw runs");
    h.elem(
        "p",
        &[("class", "note")],
        &format!(
            "{} run(s), {} sample(s). Accuracy is the run's results_summary.json headline when present, otherwise the mean per-sample score (failures count 0).",
            runs.len(),
            stats.iter().map(|s| s.samples).sum::<usize>()
        ),
    );
    let problems: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| format!("{}: {p}", r.dir.display()))
        })
        .collect();
    if !problems.is_empty() {
        h.raw("<div class=\"error banner\"><strong>Problems while reading the runs</strong><ul>");
        for p in &problems {
            h.elem("li", &[], p);
        }
        h.raw("</ul></div>");
    }

    // Benchmark × model × interface.
    h.raw("<section class=\"card\"><h2>Accuracy by benchmark × model × interface</h2>");
    h.raw("<table class=\"grid\" id=\"bench-table\"><tr><th>benchmark</th><th>model</th><th>interface</th><th class=\"num\">samples</th><th class=\"num\">failed</th><th class=\"num\">accuracy</th><th>source</th><th class=\"num\">mean score</th><th class=\"num\">tokens / sample</th><th class=\"num\">steps / sample</th><th>run</th></tr>");
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        (
            bench_rank(&runs[a].benchmark),
            &runs[a].model,
            &runs[a].interface,
        )
            .cmp(&(
                bench_rank(&runs[b].benchmark),
                &runs[b].model,
                &runs[b].interface,
            ))
    });
    for &k in &order {
        let (r, s) = (&runs[k], &stats[k]);
        let acc = s.accuracy();
        h.raw("<tr>")
            .elem(
                "td",
                &[("title", &r.benchmark)],
                &display_name(&r.benchmark),
            )
            .elem("td", &[], &r.model)
            .elem("td", &[], &r.interface)
            .elem("td", &[("class", "num")], &s.samples.to_string())
            .elem("td", &[("class", "num")], &s.failed.to_string());
        h.raw("<td class=\"num\">").text(&pct(acc));
        if let Some(a) = acc {
            h.open(
                "span",
                &[
                    ("class", "bar"),
                    (
                        "style",
                        &format!("width:{:.0}px;margin-left:6px", a.clamp(0.0, 1.0) * 60.0),
                    ),
                ],
            )
            .close("span");
        }
        h.raw("</td>")
            .elem(
                "td",
                &[],
                s.headline
                    .as_ref()
                    .map(|(k, _)| k.as_str())
                    .unwrap_or("mean"),
            )
            .elem("td", &[("class", "num")], &pct(s.mean_score))
            .elem(
                "td",
                &[("class", "num")],
                &if s.samples > 0 {
                    count(s.tokens / s.samples as u64)
                } else {
                    "—".into()
                },
            )
            .elem(
                "td",
                &[("class", "num")],
                &s.mean_steps
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_else(|| "—".into()),
            )
            .elem("td", &[], &r.dir.display().to_string())
            .raw("</tr>");
    }
    h.raw("</table></section>");

    // Suite averages.
    let suites = suite_rows(runs);
    h.raw("<section class=\"card\"><h2>20-benchmark average</h2>");
    h.elem("p", &[("class", "note")], "Released protocol: the mean of the released code's headline metrics (results_summary.json). Paper protocol: the mean over benchmarks of per-sample means, each benchmark subsampled to at most 1,000 samples with seed 42. A benchmark with no result is listed as missing; an average over fewer than 20 benchmarks is not the paper's number.");
    h.raw("<table class=\"grid\" id=\"suite\"><tr><th>model</th><th>interface</th><th class=\"num\">released</th><th class=\"num\">benchmarks</th><th class=\"num\">paper</th><th class=\"num\">benchmarks</th><th>missing (paper protocol)</th></tr>");
    for s in &suites {
        let n = |a: &SuiteAverage| format!("{}/20", a.entries.len());
        let avg = |a: &SuiteAverage| {
            if a.entries.is_empty() {
                "—".to_owned()
            } else {
                pct(Some(a.average))
            }
        };
        h.raw("<tr>")
            .elem("td", &[], &s.model)
            .elem("td", &[], &s.interface)
            .elem(
                "td",
                &[("class", "num"), ("data-protocol", "released")],
                &avg(&s.released),
            )
            .elem("td", &[("class", "num")], &n(&s.released))
            .elem(
                "td",
                &[("class", "num"), ("data-protocol", "paper")],
                &avg(&s.paper),
            )
            .elem("td", &[("class", "num")], &n(&s.paper));
        h.raw("<td>");
        if s.paper.missing.is_empty() {
            h.text("none");
        } else {
            h.raw("<details><summary>")
                .text(&format!("{} missing", s.paper.missing.len()))
                .raw("</summary>")
                .text(&s.paper.missing.join(", "))
                .raw("</details>");
        }
        h.raw("</td></tr>");
    }
    h.raw("</table></section>");

    // Radar.
    let mut axes: Vec<String> = runs.iter().map(|r| r.benchmark.clone()).collect();
    axes.sort_by_key(|b| (bench_rank(b), b.clone()));
    axes.dedup();
    let mut series_keys: Vec<(String, String)> = runs
        .iter()
        .map(|r| (r.model.clone(), r.interface.clone()))
        .collect();
    series_keys.sort();
    series_keys.dedup();
    let series: Vec<Series> = series_keys
        .iter()
        .map(|(m, i)| Series {
            name: format!("{m} · {i}"),
            values: axes
                .iter()
                .map(|b| {
                    runs.iter()
                        .zip(&stats)
                        .find(|(r, _)| &r.benchmark == b && &r.model == m && &r.interface == i)
                        .and_then(|(_, s)| s.accuracy())
                })
                .collect(),
        })
        .collect();
    h.raw("<section class=\"card\" id=\"radar\"><h2>Per-benchmark accuracy</h2>");
    let labels: Vec<String> = axes.iter().map(|b| display_name(b)).collect();
    h.raw(&radar_svg(&labels, &series));
    h.raw("<div class=\"legend\">");
    for (k, s) in series.iter().enumerate() {
        h.raw("<span>")
            .open(
                "i",
                &[(
                    "style",
                    &format!("background:{}", PALETTE[k % PALETTE.len()]),
                )],
            )
            .close("i")
            .text(&s.name)
            .raw("</span>");
    }
    h.raw("</div></section>");

    failures(&mut h, runs);
    samples(&mut h, runs, links);
    h.raw("</main>");
    page("SpatialClaw runs", &h)
}

fn bench_rank(b: &str) -> usize {
    PAPER_BENCHMARKS
        .iter()
        .position(|p| *p == b)
        .unwrap_or(PAPER_BENCHMARKS.len())
}

fn failures(h: &mut Html, runs: &[RunData]) {
    h.raw("<section class=\"card\" id=\"failures\"><h2>Failures</h2>");
    let mut by_kind: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut by_termination: BTreeMap<String, usize> = BTreeMap::new();
    for p in runs.iter().flat_map(|r| &r.predictions) {
        if let Some(f) = &p.failure {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let e = by_kind.entry(kind).or_insert((0, f.reason.clone()));
            e.0 += 1;
        } else if p.is_failed() {
            by_kind
                .entry("unknown".into())
                .or_insert((0, String::new()))
                .0 += 1;
        }
        if let Some(t) = p.extra.get("termination").and_then(Value::as_str) {
            *by_termination.entry(t.to_owned()).or_default() += 1;
        }
    }
    if by_kind.is_empty() {
        h.elem("p", &[], "No failed samples.");
    } else {
        h.raw("<table class=\"grid\" id=\"failure-kinds\"><tr><th>kind</th><th class=\"num\">samples</th><th>example reason</th></tr>");
        for (kind, (n, reason)) in &by_kind {
            h.raw("<tr>")
                .elem("td", &[], kind)
                .elem("td", &[("class", "num")], &n.to_string())
                .elem("td", &[], reason)
                .raw("</tr>");
        }
        h.raw("</table>");
    }
    if !by_termination.is_empty() {
        h.raw("<table class=\"grid\"><caption>How sessions ended</caption><tr><th>termination</th><th class=\"num\">samples</th></tr>");
        for (t, n) in &by_termination {
            h.raw("<tr>")
                .elem("td", &[], t)
                .elem("td", &[("class", "num")], &n.to_string())
                .raw("</tr>");
        }
        h.raw("</table>");
    }
    h.raw("</section>");
}

fn samples(h: &mut Html, runs: &[RunData], links: &[Vec<String>]) {
    h.raw("<section class=\"card\" id=\"samples\"><h2>Samples</h2>");
    for (k, r) in runs.iter().enumerate() {
        let attrs: &[(&str, &str)] = if r.predictions.len() <= 300 {
            &[("open", "")]
        } else {
            &[]
        };
        h.open("details", attrs)
            .raw("<summary>")
            .text(&format!("{} ({} samples)", r.label(), r.predictions.len()))
            .raw("</summary>");
        h.raw("<table class=\"grid\"><tr><th>sample</th><th>category</th><th>answer</th><th>ground truth</th><th class=\"num\">score</th><th>verdict</th><th class=\"num\">steps</th><th class=\"num\">tokens</th></tr>");
        for (i, p) in r.predictions.iter().enumerate() {
            let verdict = Verdict::of(p);
            h.raw("<tr><td>");
            match links.get(k).and_then(|l| l.get(i)) {
                Some(href) => h.elem("a", &[("href", href)], &p.sample_id),
                None => h.text(&p.sample_id),
            };
            let category = p.extra.get("category").map(short_json).unwrap_or_default();
            h.raw("</td>")
                .elem("td", &[], &category)
                .elem("td", &[], &truncate(&p.content, 80))
                .elem("td", &[], &truncate(&short_json(&p.ground_truth), 80))
                .elem(
                    "td",
                    &[("class", "num")],
                    &sample_score(p)
                        .map(|s| format!("{s:.3}"))
                        .unwrap_or_else(|| "—".into()),
                );
            h.raw("<td>")
                .elem(
                    "span",
                    &[("class", &format!("badge {}", verdict.class()))],
                    &verdict.label(),
                )
                .raw("</td>");
            h.elem(
                "td",
                &[("class", "num")],
                &p.extra.get("steps").map(short_json).unwrap_or_default(),
            )
            .elem("td", &[("class", "num")], &count(usage_tokens(&p.usage)))
            .raw("</tr>");
        }
        h.raw("</table></details>");
    }
    h.raw("</section>");
}

fn short_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
