//! The dashboard's numbers against hand-made run directories with known answers.

mod common;

use scraper::Selector;
use spatialclaw_report::dashboard::{run_stats, suite_rows};
use spatialclaw_report::{load_run, write_site};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn rows(doc: &scraper::Html, table: &str) -> Vec<Vec<String>> {
    doc.select(&sel(&format!("{table} tr")))
        .map(|tr| {
            tr.select(&sel("td"))
                .map(|td| td.text().collect::<String>().trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

#[test]
fn numbers_match_the_hand_computed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let runs = common::three_runs(dir.path());
    let loaded: Vec<_> = runs.iter().map(|d| load_run(d).unwrap()).collect();
    assert_eq!(
        loaded
            .iter()
            .map(|r| (r.benchmark.as_str(), r.model.as_str(), r.interface.as_str()))
            .collect::<Vec<_>>(),
        [
            ("erqa", "m1", "code"),
            ("sparbench", "m1", "code"),
            ("cvbench", "m1", "react")
        ]
    );
    let s = run_stats(&loaded[0]);
    assert_eq!((s.samples, s.failed), (4, 1));
    assert_eq!(s.accuracy(), Some(0.5));
    assert_eq!(s.mean_score, Some(0.5));
    assert!((run_stats(&loaded[1]).accuracy().unwrap() - 0.4).abs() < 1e-12);
    assert!((run_stats(&loaded[1]).mean_score.unwrap() - 0.6).abs() < 1e-12);
    assert_eq!(run_stats(&loaded[2]).headline, None);
    assert_eq!(run_stats(&loaded[2]).accuracy(), Some(0.5));

    let suites = suite_rows(&loaded);
    let code = suites.iter().find(|s| s.interface == "code").unwrap();
    assert!((code.released.average - 0.45).abs() < 1e-12);
    assert!((code.paper.average - 0.55).abs() < 1e-12);
    assert_eq!(code.paper.missing.len(), 18);
    let react = suites.iter().find(|s| s.interface == "react").unwrap();
    assert!(react.released.entries.is_empty());
    assert!((react.paper.average - 0.5).abs() < 1e-12);

    let out = dir.path().join("site");
    let summary = write_site(&runs, &out).unwrap();
    assert_eq!((summary.runs, summary.session_pages), (3, 8));
    let html = std::fs::read_to_string(&summary.index).unwrap();
    let doc = common::assert_self_contained(&html);

    let bench = rows(&doc, "#bench-table");
    assert_eq!(bench.len(), 3);
    // Paper order: ERQA, SPAR-Bench, ..., CV-Bench.
    assert_eq!(
        &bench[0][..8],
        [
            "ERQA",
            "m1",
            "code",
            "4",
            "1",
            "50.0%",
            "overall_accuracy",
            "50.0%"
        ]
    );
    assert_eq!(&bench[1][5..8], ["40.0%", "overall_score", "60.0%"]);
    assert_eq!(&bench[2][5..7], ["50.0%", "mean"]);

    let suite = rows(&doc, "#suite");
    assert_eq!(
        &suite[0][..6],
        ["m1", "code", "45.0%", "2/20", "55.0%", "2/20"]
    );
    assert_eq!(
        &suite[1][..6],
        ["m1", "react", "—", "0/20", "50.0%", "1/20"]
    );

    let failures = rows(&doc, "#failure-kinds");
    assert_eq!(
        failures,
        [vec![
            "llm".to_owned(),
            "1".into(),
            "connection refused after 5 retries".into()
        ]]
    );

    assert_eq!(
        doc.select(&sel("svg.radar polygon[fill-opacity]")).count(),
        2,
        "one polygon per model × interface"
    );

    // Every sample links to a page that exists, relative to the site.
    let links: Vec<String> = doc
        .select(&sel("#samples a"))
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 8);
    for l in &links {
        assert!(l.starts_with("sessions/"), "{l}");
        let page = std::fs::read_to_string(out.join(l)).unwrap();
        common::assert_self_contained(&page);
    }
    let first = std::fs::read_to_string(out.join(&links[0])).unwrap();
    assert!(first.contains("Step 30") && first.contains("erqa · m1 · code"));
    let failed = std::fs::read_to_string(out.join(&links[3])).unwrap();
    assert!(failed.contains("connection refused"));
}

#[test]
fn broken_runs_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::make_run(dir.path(), "r", serde_json::json!({}), &[], None, &[]);
    std::fs::write(run.join("config.json"), "{oops").unwrap();
    std::fs::write(
        run.join("predictions.jsonl"),
        "{\"sample_id\":\"a\",\"content\":\"x\"}\ngarbage\n",
    )
    .unwrap();
    std::fs::write(run.join("results_summary.json"), "[]").unwrap();
    let summary = write_site(std::slice::from_ref(&run), &dir.path().join("site")).unwrap();
    assert_eq!(summary.problems.len(), 3, "{:?}", summary.problems);
    let html = std::fs::read_to_string(summary.index).unwrap();
    common::assert_self_contained(&html);
    assert!(html.contains("config.json is not valid JSON") && html.contains("line 2"));

    let err = write_site(&[dir.path().join("nothing")], &dir.path().join("site2")).unwrap_err();
    assert!(err.to_string().contains("not a run directory"), "{err}");
}
