//! Values of differences as text.

use serde_json::Value as Json;

/// Longest value shown in a one-line message, in characters.
const SHORT: usize = 80;

/// A value for a one-line message: compact JSON, `absent` for none, cut
/// at [`SHORT`] characters.
pub fn short(v: Option<&Json>) -> String {
    let Some(v) = v else { return "absent".into() };
    let text = v.to_string();
    if text.chars().count() <= SHORT {
        return text;
    }
    let cut: String = text.chars().take(SHORT).collect();
    format!("{cut}…")
}
