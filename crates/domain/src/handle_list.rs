//! A list of group handles, as `tgfleet groups import` and the console read it: one
//! handle per line in any form operators use (`@name`, `name`, `t.me/name`,
//! `https://t.me/name`, `https://t.me/+HASH`, `t.me/joinchat/HASH`); blank lines and
//! `#` comments (whole-line, or after whitespace at the end of a line) are ignored.

use crate::GroupHandle;

/// A handle read from the file, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandleLine {
    /// Line number, from 1.
    pub line: usize,
    /// The normalized handle.
    pub handle: GroupHandle,
}

/// A line that is not a valid handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// Line number, from 1.
    pub line: usize,
    /// Why it was rejected.
    pub reason: String,
}

/// Reads every handle of `contents`, or every bad line if there is any.
pub fn parse_handles(contents: &[u8]) -> Result<Vec<HandleLine>, Vec<BadLine>> {
    let contents = contents.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(contents);
    let mut handles = Vec::new();
    let mut bad = Vec::new();
    for (index, raw) in contents.split(|byte| *byte == b'\n').enumerate() {
        let line = index + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            bad.push(BadLine {
                line,
                reason: "not valid UTF-8 text".to_owned(),
            });
            continue;
        };
        let entry = strip_comment(text).trim();
        if entry.is_empty() {
            continue;
        }
        match GroupHandle::parse(entry) {
            Ok(handle) => handles.push(HandleLine { line, handle }),
            Err(err) => bad.push(BadLine {
                line,
                reason: err.to_string(),
            }),
        }
    }
    if bad.is_empty() {
        Ok(handles)
    } else {
        Err(bad)
    }
}

/// The part of a line before a comment: a `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let comment = bytes.iter().enumerate().position(|(index, byte)| {
        *byte == b'#' && (index == 0 || bytes[index - 1].is_ascii_whitespace())
    });
    comment.map_or(line, |index| &line[..index])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_comments_and_blank_lines() {
        let file = "\u{feff}# Bali groups\n@bali_chat\r\n\n  t.me/Canggu_News   # the big one\nhttps://t.me/+AbC-d_12\nt.me/joinchat/XyZ\n";
        let handles = parse_handles(file.as_bytes()).unwrap();
        let read: Vec<(usize, String)> = handles
            .iter()
            .map(|entry| (entry.line, entry.handle.key()))
            .collect();
        assert_eq!(
            read,
            [
                (2, "bali_chat".to_owned()),
                (4, "canggu_news".to_owned()),
                (5, "+AbC-d_12".to_owned()),
                (6, "+XyZ".to_owned()),
            ]
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let file = b"@good_group\nab\nhttps://example.com/x\n@fine_group\n\xff\xfe\n";
        let bad = parse_handles(file).unwrap_err();
        let lines: Vec<usize> = bad.iter().map(|entry| entry.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert!(
            bad[0].reason.contains("invalid username \"ab\""),
            "{}",
            bad[0].reason
        );
        assert!(
            bad[1].reason.contains("unsupported link"),
            "{}",
            bad[1].reason
        );
        assert_eq!(bad[2].reason, "not valid UTF-8 text");
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_comment() {
        assert_eq!(strip_comment("t.me/x#y"), "t.me/x#y");
        assert_eq!(strip_comment("@name #note"), "@name ");
        assert_eq!(strip_comment("#all"), "");
    }
}
