//! The uptime windows the page, the API and the badges show, and how a figure is written.
//! The figures themselves are `runner uptime`'s (CLI.md's rule, from the store's roll-ups:
//! `UptimeStore::uptime`), read by [`super::board`]; with no data a figure is `None`
//! ("—", never 100 %).

/// The windows the page shows, with their labels.
pub const WINDOWS: [(&str, i64); 3] = [("24h", 86_400_000), ("7d", 7 * 86_400_000), ("30d", 30 * 86_400_000)];

/// The window of a label (`24h`, `7d`, `30d`).
pub fn window_ms(label: &str) -> Option<i64> {
    WINDOWS.iter().find(|(l, _)| *l == label).map(|(_, ms)| *ms)
}

/// `99.95 %`, `100 %`, or `—`.
pub fn words(percent: Option<f64>) -> String {
    match percent {
        None => "—".into(),
        Some(p) if p >= 100.0 => "100 %".into(),
        Some(p) => format!("{:.2} %", (p * 100.0).floor() / 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_is_a_dash_and_figures_are_cut_not_rounded_up() {
        assert_eq!(words(None), "—");
        assert_eq!(words(Some(99.999)), "99.99 %");
        assert_eq!(words(Some(100.0)), "100 %");
        assert_eq!(window_ms("7d"), Some(7 * 86_400_000));
        assert_eq!(window_ms("1y"), None);
    }
}
