//! The per-benchmark radar chart, drawn as inline SVG at render time (the paper's figure style:
//! one spoke per benchmark, one polygon per model × interface, 0–100 % rings).
//!
//! SVG written here rather than a chart library keeps pages script-free and self-contained.

use std::fmt::Write as _;

use crate::html::escape;

/// Colours for successive series; chosen to stay distinguishable in greyscale prints.
pub const PALETTE: &[&str] = &[
    "#2b6cb0", "#c53030", "#2f855a", "#b7791f", "#6b46c1", "#0b7285", "#9c4221", "#4a5568",
];

/// One polygon: a name and one value per axis (a fraction in 0–1; `None` = not run, drawn at the
/// centre with a hollow marker so a gap is not mistaken for a zero score).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Renders the chart. Fewer than three axes cannot enclose an area, so the chart then says so
/// and the table carries the numbers.
pub fn radar_svg(axes: &[String], series: &[Series]) -> String {
    if axes.len() < 3 {
        return String::from(
            "<p class=\"note\">The radar chart needs at least three benchmarks; see the table.</p>",
        );
    }
    let size = 640.0_f64;
    let c = size / 2.0;
    let r = size / 2.0 - 120.0;
    let n = axes.len();
    let point = |k: usize, v: f64| {
        let angle = -std::f64::consts::FRAC_PI_2 + k as f64 * std::f64::consts::TAU / n as f64;
        (c + r * v * angle.cos(), c + r * v * angle.sin())
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"radar\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" role=\"img\" aria-label=\"per-benchmark accuracy radar chart\">"
    );
    for ring in 1..=5 {
        let v = ring as f64 / 5.0;
        let pts: Vec<String> = (0..n)
            .map(|k| {
                let (x, y) = point(k, v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            "<polygon points=\"{}\" fill=\"none\" stroke=\"#d5dbe2\" stroke-width=\"1\"/>",
            pts.join(" ")
        );
        let (x, y) = point(0, v);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#8a96a3\" font-size=\"10\">{}%</text>",
            x + 3.0,
            y - 2.0,
            ring * 20
        );
    }
    for (k, label) in axes.iter().enumerate() {
        let (x, y) = point(k, 1.0);
        let _ = write!(
            s,
            "<line x1=\"{c:.1}\" y1=\"{c:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#d5dbe2\"/>"
        );
        let (lx, ly) = point(k, 1.12);
        let anchor = if (lx - c).abs() < 8.0 {
            "middle"
        } else if lx > c {
            "start"
        } else {
            "end"
        };
        let _ = write!(
            s,
            "<text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            ly + 4.0,
            escape(label)
        );
    }
    for (i, se) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let pts: Vec<String> = (0..n)
            .map(|k| {
                let v = se
                    .values
                    .get(k)
                    .copied()
                    .flatten()
                    .unwrap_or(0.0)
                    .clamp(0.0, 1.0);
                let (x, y) = point(k, v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            "<polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.12\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polygon>",
            pts.join(" "),
            escape(&se.name)
        );
        for (k, axis) in axes.iter().enumerate() {
            let v = se.values.get(k).copied().flatten();
            let (x, y) = point(k, v.unwrap_or(0.0).clamp(0.0, 1.0));
            let fill = if v.is_some() { colour } else { "#fff" };
            let tip = match v {
                Some(v) => format!("{}: {axis} {:.1}%", se.name, v * 100.0),
                None => format!("{}: {axis} not run", se.name),
            };
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{fill}\" stroke=\"{colour}\"><title>{}</title></circle>",
                escape(&tip)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_polygon_per_series_plus_rings_and_escapes_labels() {
        let axes: Vec<String> = ["a<b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let series = vec![
            Series {
                name: "m1".into(),
                values: vec![Some(0.5), None, Some(1.0)],
            },
            Series {
                name: "m2".into(),
                values: vec![Some(0.1), Some(0.2), Some(0.3)],
            },
        ];
        let svg = radar_svg(&axes, &series);
        assert_eq!(svg.matches("<polygon").count(), 5 + 2);
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        assert!(svg.contains("c not run"));
        assert!(radar_svg(&axes[..2], &series).contains("at least three"));
    }
}
