//! Text decoding for delimited files: detect the encoding, decode once, normalise line
//! endings so that every line break is a single `\n` (data-contract §2, §8).

use std::borrow::Cow;
use std::fmt;

/// The character encoding a delimited file was written in, as detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 without a byte-order mark (Nettskjema, most tools).
    Utf8,
    /// UTF-8 with a byte-order mark (Excel "CSV UTF-8").
    Utf8Bom,
    /// UTF-16 little-endian (Excel "Unicode text"); with a byte-order mark, or without one
    /// when the start of the file is plainly UTF-16 (every second byte zero).
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
    /// Windows-1252: any file that is not valid UTF-8 (Excel "CSV" on Norwegian Windows).
    Windows1252,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16 LE",
            Encoding::Utf16Be => "UTF-16 BE",
            Encoding::Windows1252 => "Windows-1252",
        })
    }
}

/// Why a file could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The line on which the bad bytes are.
    pub line: u64,
    /// The reason, lowercase.
    pub reason: String,
}

/// Decode `bytes` to text with every line break as `\n`, and say which encoding it was.
/// Borrows when the input is UTF-8 with `\n` line ends already.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), DecodeError> {
    let (text, enc) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(s) => (Cow::Borrowed(s), Encoding::Utf8Bom),
            Err(e) => {
                let valid = &rest[..e.valid_up_to()];
                return Err(DecodeError {
                    line: count_lines(valid),
                    reason: "the file starts with a UTF-8 byte-order mark but holds bytes that are not UTF-8".into(),
                });
            }
        }
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (Cow::Owned(utf16(rest, false)?), Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (Cow::Owned(utf16(rest, true)?), Encoding::Utf16Be)
    } else if let Some(big_endian) = looks_like_utf16(bytes) {
        let enc = if big_endian {
            Encoding::Utf16Be
        } else {
            Encoding::Utf16Le
        };
        (Cow::Owned(utf16(bytes, big_endian)?), enc)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (Cow::Borrowed(s), Encoding::Utf8),
            Err(_) => {
                let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                (s, Encoding::Windows1252)
            }
        }
    };
    Ok((normalize_newlines(text), enc))
}

/// The line (1-based) after `text`: one plus its line breaks (`\n`, `\r\n` or a lone `\r`).
fn count_lines(text: &[u8]) -> u64 {
    let mut n = 1;
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

/// `Some(big_endian)` when a file without a byte-order mark is plainly UTF-16: in its first
/// 64 bytes, at least three quarters of the code units have one zero byte on the same side.
fn looks_like_utf16(bytes: &[u8]) -> Option<bool> {
    let head = &bytes[..bytes.len().min(64) & !1];
    let units = head.len() / 2;
    if units < 2 {
        return None;
    }
    let le = head.chunks(2).filter(|c| c[0] != 0 && c[1] == 0).count();
    let be = head.chunks(2).filter(|c| c[0] == 0 && c[1] != 0).count();
    if le * 4 >= units * 3 {
        Some(false)
    } else if be * 4 >= units * 3 {
        Some(true)
    } else {
        None
    }
}

/// Decode UTF-16 strictly: an unpaired surrogate or an odd trailing byte is an error.
fn utf16(bytes: &[u8], big_endian: bool) -> Result<String, DecodeError> {
    let encoding = if big_endian {
        Encoding::Utf16Be
    } else {
        Encoding::Utf16Le
    };
    // encoding_rs decodes well-formed text fast; anything malformed is decoded again below,
    // for the line of the first broken character.
    let fast = if big_endian {
        encoding_rs::UTF_16BE
    } else {
        encoding_rs::UTF_16LE
    };
    if let Some(text) = fast.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(text.into_owned());
    }
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2 + bytes.len() / 8);
    for ch in char::decode_utf16(units) {
        match ch {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(DecodeError {
                    line: count_lines(out.as_bytes()),
                    reason: format!("the file is {encoding} but holds a broken character"),
                });
            }
        }
    }
    if bytes.len() % 2 == 1 {
        return Err(DecodeError {
            line: count_lines(out.as_bytes()),
            reason: format!("the file is {encoding} but ends in the middle of a character"),
        });
    }
    Ok(out)
}

/// [`decode`] of bytes the caller gives up, so that a large file is held once: text that
/// needs no change becomes the text without a copy, and bytes decoded into a new text are
/// freed as soon as it exists.
pub fn decode_owned(bytes: Vec<u8>) -> Result<(String, Encoding), DecodeError> {
    let (text, encoding) = decode(&bytes)?;
    let len = match text {
        Cow::Owned(text) => return Ok((text, encoding)),
        Cow::Borrowed(text) => text.len(),
    };
    // The text is the bytes' tail (after any byte-order mark), already checked as UTF-8.
    let mut bytes = bytes;
    bytes.drain(..bytes.len() - len);
    String::from_utf8(bytes)
        .map(|text| (text, encoding))
        .map_err(|e| DecodeError {
            line: count_lines(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            reason: "the file holds bytes that are not UTF-8".into(),
        })
}

/// Replace `\r\n` and lone `\r` with `\n`; borrows when there is nothing to replace.
pub(crate) fn normalize_newlines(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.as_bytes().contains(&b'\r') {
        return text;
    }
    let text = match text {
        // Decoded text is rewritten in place: never longer, and only ASCII bytes change.
        Cow::Owned(s) => return Cow::Owned(newlines_in_place(s)),
        Cow::Borrowed(s) => s,
    };
    let mut out = String::with_capacity(text.len());
    for (i, piece) in text.split('\r').enumerate() {
        if i > 0 && !piece.starts_with('\n') {
            out.push('\n');
        }
        out.push_str(piece);
    }
    Cow::Owned(out)
}

/// [`normalize_newlines`] of an owned text, without a second copy of it.
fn newlines_in_place(text: String) -> String {
    let mut bytes = text.into_bytes();
    let (mut read, mut write) = (0, 0);
    while read < bytes.len() {
        let b = bytes[read];
        read += 1;
        if b == b'\r' {
            bytes[write] = b'\n';
            if bytes.get(read) == Some(&b'\n') {
                read += 1;
            }
        } else {
            bytes[write] = b;
        }
        write += 1;
    }
    bytes.truncate(write);
    // Only the ASCII bytes `\r` and `\n` were replaced or dropped: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_bytes_decode_as_borrowed_ones() {
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("a;b\r\næ".encode_utf16().flat_map(u16::to_le_bytes));
        for b in [
            b"a;b\n".to_vec(),
            b"\xEF\xBB\xBFa;\xC3\xA5\n".to_vec(),
            b"a;b\r\nc\rd".to_vec(),
            b"\xE6;\xF8\n".to_vec(),
            utf16,
            Vec::new(),
        ] {
            let (text, encoding) = decode(&b).unwrap();
            assert_eq!(
                decode_owned(b.clone()).unwrap(),
                (text.into_owned(), encoding),
                "{b:?}"
            );
        }
        assert!(decode_owned(b"\xEF\xBB\xBFa\xFF".to_vec()).is_err());
    }

    #[test]
    fn owned_and_borrowed_text_get_the_same_line_ends() {
        for s in [
            "a\r\nb",
            "a\rb",
            "\r\r\n\n\r",
            "æ\r\nø\rå\r",
            "\r",
            "x\r\n",
            "\n\r\n\r",
        ] {
            let borrowed = normalize_newlines(Cow::Borrowed(s)).into_owned();
            let owned = normalize_newlines(Cow::Owned(s.to_string())).into_owned();
            assert_eq!(owned, borrowed, "{s:?}");
            assert!(!borrowed.contains('\r'), "{s:?}");
        }
        assert_eq!(
            normalize_newlines(Cow::Borrowed("a\r\r\nb\rc")),
            "a\n\nb\nc"
        );
    }

    fn dec(b: &[u8]) -> (String, Encoding) {
        let (s, e) = decode(b).unwrap();
        (s.into_owned(), e)
    }

    #[test]
    fn detects_every_accepted_encoding() {
        assert_eq!(dec(b"a;b\n"), ("a;b\n".into(), Encoding::Utf8));
        assert_eq!(dec("æ;ø\n".as_bytes()), ("æ;ø\n".into(), Encoding::Utf8));
        assert_eq!(
            dec(b"\xEF\xBB\xBFa;\xC3\xA5"),
            ("a;å".into(), Encoding::Utf8Bom)
        );
        assert_eq!(
            dec(b"\xE6;\xF8;\xE5;\x80"),
            ("æ;ø;å;€".into(), Encoding::Windows1252)
        );
        assert_eq!(
            dec(b"\xFF\xFEa\0\t\0\xE5\0"),
            ("a\tå".into(), Encoding::Utf16Le)
        );
        assert_eq!(
            dec(b"\xFE\xFF\0a\0\t\0\xE5"),
            ("a\tå".into(), Encoding::Utf16Be)
        );
        assert_eq!(dec(b"a\0\t\0b\0"), ("a\tb".into(), Encoding::Utf16Le));
        assert_eq!(dec(b""), ("".into(), Encoding::Utf8));
    }

    #[test]
    fn line_endings_become_lf() {
        assert_eq!(dec(b"a\r\nb\rc\n\r\n").0, "a\nb\nc\n\n");
        assert_eq!(dec(b"\r\r\n\r").0, "\n\n\n");
    }

    #[test]
    fn broken_bytes_name_their_line() {
        let e = decode(b"\xEF\xBB\xBFa\r\nb\r\n\xFF").unwrap_err();
        assert_eq!(e.line, 3);
        let e = decode(b"\xFF\xFEa\0\n\0\x00\xD8b\0").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("UTF-16 LE"));
        let e = decode(b"\xFF\xFEa\0b").unwrap_err();
        assert!(e.reason.contains("middle of a character"));
    }
}
