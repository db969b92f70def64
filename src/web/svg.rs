//! The page's charts, as inline SVG built from numbers and fixed class names only (no
//! text from a check reaches them), so they are safe to put in a page unescaped.

use std::fmt::Write;

/// An uptime bar: one cell per slot (`up`, `down`, `none`), coloured (the words are
/// beside it, and in its label).
pub fn bar(slots: &[String]) -> String {
    let mut out = format!(
        r#"<svg class="bar" viewBox="0 0 {} 10" preserveAspectRatio="none" role="img" aria-label="last 24 hours, half an hour per cell: {} down, {} up, {} no data">"#,
        slots.len() * 4,
        slots.iter().filter(|s| *s == "down").count(),
        slots.iter().filter(|s| *s == "up").count(),
        slots.iter().filter(|s| *s != "down" && *s != "up").count(),
    );
    for (i, status) in slots.iter().enumerate() {
        let class = match status.as_str() {
            "up" => "ok",
            "down" => "critical",
            _ => "none",
        };
        let _ = write!(out, r#"<rect class="s-{class}" x="{}" y="0" width="3" height="10"/>"#, i * 4);
    }
    out.push_str("</svg>");
    out
}

/// A latency line over time: `points` are (start ms, duration ms), oldest first.
pub fn latency(points: &[(i64, i64)]) -> String {
    const W: f64 = 240.0;
    const H: f64 = 40.0;
    if points.len() < 2 {
        return String::new();
    }
    let (t0, t1) = (points[0].0, points[points.len() - 1].0);
    let max = points.iter().map(|p| p.1).max().unwrap_or(1).max(1);
    let span = (t1 - t0).max(1) as f64;
    let mut path = String::new();
    for (i, (t, d)) in points.iter().enumerate() {
        let x = (t - t0) as f64 / span * W;
        let y = H - (*d as f64 / max as f64) * (H - 2.0) - 1.0;
        let _ = write!(path, "{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" });
    }
    format!(
        r#"<svg class="latency" viewBox="0 0 {W} {H}" role="img" aria-label="response time, highest {max} ms"><path d="{}"/></svg>"#,
        path.trim_end()
    )
}
