//! Inline SVG charts (no script, no CDN): stacked daily bars and heartbeat strips.

use std::fmt::Write as _;

/// One bar's parts: (value, CSS class).
pub type Stack = Vec<(i64, &'static str)>;

/// A stacked bar chart of one bar per label, 600×140, with the largest total on top
/// and each bar titled with its numbers.
pub fn bars(labels: &[String], stacks: &[Stack]) -> String {
    let width = 600.0_f64;
    let height = 120.0_f64;
    let max = stacks
        .iter()
        .map(|stack| stack.iter().map(|(value, _)| *value).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = width / stacks.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
        height + 20.0
    );
    let _ = write!(svg, "<text class=\"axis\" x=\"2\" y=\"10\">{max}</text>");
    for (index, (label, stack)) in labels.iter().zip(stacks).enumerate() {
        let x = index as f64 * slot + slot * 0.15;
        let mut top = height;
        let total: i64 = stack.iter().map(|(value, _)| *value).sum();
        let parts: Vec<String> = stack
            .iter()
            .map(|(value, class)| format!("{class} {value}"))
            .collect();
        let _ = write!(svg, "<g><title>{label}: {}</title>", parts.join(", "));
        for (value, class) in stack {
            let h = *value as f64 / max * (height - 12.0);
            top -= h;
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{h:.1}\"/>",
                slot * 0.7
            );
        }
        let _ = write!(
            svg,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{total}</text>",
            x,
            (top - 2.0).max(10.0)
        );
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{}\">{}</text></g>",
            height + 14.0,
            label.get(label.len().saturating_sub(5)..).unwrap_or(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A 24-cell strip of a replica's hours: the fuller the hour, the greener.
pub fn strip(hours: &[i64]) -> String {
    let mut svg = String::from(
        "<svg class=\"strip\" viewBox=\"0 0 240 12\" xmlns=\"http://www.w3.org/2000/svg\">",
    );
    for (index, minutes) in hours.iter().enumerate() {
        let class = match minutes {
            0 => "off",
            1..=44 => "partial",
            _ => "on",
        };
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"{}\" y=\"0\" width=\"9\" height=\"12\"><title>{minutes} min</title></rect>",
            index * 10
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_show_every_value_and_scale_to_the_largest() {
        let svg = bars(
            &["2026-01-01".to_owned(), "2026-01-02".to_owned()],
            &[
                vec![(3, "sent"), (1, "failed")],
                vec![(0, "sent"), (0, "failed")],
            ],
        );
        assert!(svg.contains("2026-01-01: sent 3, failed 1"), "{svg}");
        assert!(svg.contains(">4</text>"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(strip(&[0, 30, 60]).matches("<rect").count(), 3);
    }
}
