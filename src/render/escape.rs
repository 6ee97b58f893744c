//! The one escaping function for text entering Typst markup, and the one for Typst string
//! literals.
//!
//! Every value a template prints goes through [`escape_markup`] (the auto-escape of `.typ`
//! templates); values placed inside `"…"` in Typst code go through [`string_literal`] (the
//! `typst_str` filter). A unit called `#read("/etc/passwd")` therefore prints as those
//! characters and never runs.

/// Escape `text` so that Typst markup shows it literally.
///
/// Escaped with a backslash:
/// - always: `\ # $ * _ ` < > @ [ ] ~ /` and `{ }`, `'` and `"` (smart-quote shorthands),
///   `-` (the `--`, `---`, `-?` and minus shorthands, list items at a line start), `+`
///   (numbered list items), `=` (headings);
/// - `.` after a digit or next to another `.` (`12. juni` would start a numbered list,
///   `...` is an ellipsis shorthand).
///
/// Carriage returns are dropped, so a value never smuggles in a Windows line break.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let chars: Vec<char> = text.chars().filter(|&c| c != '\r').collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '#' | '$' | '*' | '_' | '`' | '<' | '>' | '@' | '[' | ']' | '~' | '/' | '{'
            | '}' | '\'' | '"' | '-' | '+' | '=' => true,
            '.' => prev.is_some_and(|p| p.is_ascii_digit() || p == '.') || next == Some('.'),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quote `text` as a Typst string literal, `"…"`, escaping `\`, `"` and line breaks.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escape text for SVG/XML character data and attribute values.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_always_special_character() {
        for c in [
            '\\', '#', '$', '*', '_', '`', '<', '>', '@', '[', ']', '~', '/',
        ] {
            assert_eq!(escape_markup(&c.to_string()), format!("\\{c}"), "{c}");
        }
    }

    #[test]
    fn escapes_line_start_markers_and_shorthands() {
        assert_eq!(escape_markup("- a"), "\\- a");
        assert_eq!(escape_markup("+ a"), "\\+ a");
        assert_eq!(escape_markup("= a"), "\\= a");
        assert_eq!(escape_markup("12. juni"), "12\\. juni");
        assert_eq!(escape_markup("a -- b"), "a \\-\\- b");
        assert_eq!(escape_markup("vent..."), "vent\\.\\.\\.");
        assert_eq!(escape_markup("it's \"x\""), "it\\'s \\\"x\\\"");
        assert_eq!(
            escape_markup("linje\n= overskrift"),
            "linje\n\\= overskrift"
        );
    }

    #[test]
    fn leaves_plain_text_alone() {
        assert_eq!(
            escape_markup("Helse Møre og Romsdal HF"),
            "Helse Møre og Romsdal HF"
        );
        assert_eq!(escape_markup("St. Olavs hospital"), "St. Olavs hospital");
        assert_eq!(escape_markup("1\u{a0}234,5"), "1\u{a0}234,5");
    }

    #[test]
    fn neutralises_code_injection() {
        assert_eq!(
            escape_markup("#read(\"/etc/passwd\")"),
            "\\#read(\\\"\\/etc\\/passwd\\\")"
        );
    }

    #[test]
    fn quotes_string_literals() {
        assert_eq!(
            string_literal("a \"b\" \\ c\nd"),
            "\"a \\\"b\\\" \\\\ c\\nd\""
        );
    }
}
