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
/// Borrows when the input is UTF-8 with `\n` line ends already; anything else is decoded
/// in a copy, as [`decode_in_place`] decodes it.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), DecodeError> {
    if !bytes.starts_with(UTF8_BOM)
        && looks_like_utf16(bytes).is_none()
        && memchr::memchr(b'\r', bytes).is_none()
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        // (A UTF-16 byte-order mark is never UTF-8.)
        return Ok((Cow::Borrowed(text), Encoding::Utf8));
    }
    let mut buf = bytes.to_vec();
    let (start, encoding) = decode_buffer(&mut buf)?;
    buf.drain(..start);
    let text = String::from_utf8(buf).map_err(|e| DecodeError {
        line: count_lines(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
        reason: "the file holds bytes that are not UTF-8".into(),
    })?;
    Ok((Cow::Owned(text), encoding))
}

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

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

/// [`decode`] in the buffer the bytes were read into: the text takes the bytes' place, so a
/// large file is held once, and a buffer kept from one file to the next is never faulted in
/// again. Windows-1252 is widened from the end of the buffer backwards, UTF-16 narrowed from
/// its start; line breaks become `\n` in place. The text and its encoding are exactly what
/// [`decode`] gives for the same bytes (a test compares them), errors included.
pub fn decode_in_place(buf: &mut Vec<u8>) -> Result<(&str, Encoding), DecodeError> {
    let (start, encoding) = decode_buffer(buf)?;
    // UTF-8 by construction (or checked): the check cannot fail.
    let text = std::str::from_utf8(&buf[start..]).map_err(|e| DecodeError {
        line: count_lines(&buf[start..start + e.valid_up_to()]),
        reason: "the file holds bytes that are not UTF-8".into(),
    })?;
    Ok((text, encoding))
}

/// The decoding of [`decode_in_place`]: the text is left in `buf` from the returned offset
/// on (after a UTF-8 byte-order mark), checked as UTF-8 where it was not made so.
fn decode_buffer(buf: &mut Vec<u8>) -> Result<(usize, Encoding), DecodeError> {
    Ok(if buf.starts_with(UTF8_BOM) {
        let len = 3 + newlines_in_slice(&mut buf[3..]);
        buf.truncate(len);
        if let Err(e) = std::str::from_utf8(&buf[3..]) {
            return Err(DecodeError {
                line: count_lines(&buf[3..3 + e.valid_up_to()]),
                reason: "the file starts with a UTF-8 byte-order mark but holds bytes that are not UTF-8".into(),
            });
        }
        (3, Encoding::Utf8Bom)
    } else if buf.starts_with(b"\xFF\xFE") {
        utf16_in_place(buf, 2, false)?
    } else if buf.starts_with(b"\xFE\xFF") {
        utf16_in_place(buf, 2, true)?
    } else if let Some(big_endian) = looks_like_utf16(buf) {
        utf16_in_place(buf, 0, big_endian)?
    } else {
        // Line breaks are ASCII in UTF-8 and in Windows-1252 alike, and replacing them
        // never makes bytes that were not UTF-8 into UTF-8 (or the other way round): they
        // can be made `\n` before the encoding is known.
        let len = newlines_in_slice(buf);
        buf.truncate(len);
        if std::str::from_utf8(buf).is_err() {
            windows_1252_in_place(buf);
            (0, Encoding::Windows1252)
        } else {
            (0, Encoding::Utf8)
        }
    })
}

/// Each byte 0x80–0xFF of Windows-1252 as UTF-8 (as encoding_rs decodes it): its bytes
/// and how many there are.
fn windows_1252_high() -> &'static [([u8; 3], u8); 128] {
    static TABLE: std::sync::OnceLock<[([u8; 3], u8); 128]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [([0u8; 3], 0u8); 128];
        for (b, entry) in (0x80u8..=0xFF).zip(table.iter_mut()) {
            let byte = [b];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            let utf8 = text.as_bytes();
            entry.0[..utf8.len()].copy_from_slice(utf8);
            entry.1 = u8::try_from(utf8.len()).unwrap_or(3);
        }
        table
    })
}

/// Decode Windows-1252 in place: the buffer grows by what the text needs more, and every
/// byte is moved, from the end backwards, to its place in the text (a byte is read before
/// anything is written over it). Runs of ASCII move as one.
fn windows_1252_in_place(buf: &mut Vec<u8>) {
    let table = windows_1252_high();
    // Every byte from 0x80 takes at least two; only some of 0x80–0x9F take three.
    // (Counted, not searched: a count over bytes runs on SIMD lanes, a search byte by byte.)
    let mut extra = buf.iter().filter(|&&b| b >= 0x80).count();
    if buf.iter().filter(|&&b| (0x80..0xA0).contains(&b)).count() > 0 {
        extra += buf
            .iter()
            .filter(|&&b| (0x80..0xA0).contains(&b))
            .filter(|&&b| table[usize::from(b - 0x80)].1 == 3)
            .count();
    }
    let old = buf.len();
    buf.reserve_exact(extra);
    buf.resize(old + extra, 0);
    let (mut read, mut write) = (old, old + extra);
    while read < write {
        // The ASCII run before `read`, moved as it is.
        let run_start = last_non_ascii(&buf[..read]).map_or(0, |i| i + 1);
        let run = read - run_start;
        buf.copy_within(run_start..read, write - run);
        write -= run;
        read = run_start;
        if read == 0 {
            break;
        }
        read -= 1;
        let (bytes, n) = table[usize::from(buf[read] - 0x80)];
        let n = usize::from(n);
        write -= n;
        buf[write..write + n].copy_from_slice(&bytes[..n]);
    }
}

/// The position of the last byte from 0x80 in `bytes`, eight bytes at a time.
fn last_non_ascii(bytes: &[u8]) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut end = bytes.len();
    while end >= 8 {
        let word = u64::from_le_bytes(bytes[end - 8..end].try_into().unwrap_or([0; 8]));
        if word & HIGH != 0 {
            return bytes[end - 8..end]
                .iter()
                .rposition(|&b| b >= 0x80)
                .map(|i| end - 8 + i);
        }
        end -= 8;
    }
    bytes[..end].iter().rposition(|&b| b >= 0x80)
}

/// Decode UTF-16 (the code units from `from` on) strictly, in place: UTF-8 is written from
/// the start of the buffer while the units are read ahead of it (eight ASCII units at a
/// time where they come in a row). Text that would overtake its own units (long runs of
/// characters from U+0800) is decoded aside from there on. An unpaired surrogate or an odd trailing byte is an
/// error, on the line of the text decoded before it.
fn utf16_in_place(
    buf: &mut Vec<u8>,
    from: usize,
    big_endian: bool,
) -> Result<(usize, Encoding), DecodeError> {
    let encoding = if big_endian {
        Encoding::Utf16Be
    } else {
        Encoding::Utf16Le
    };
    let unit = |b: &[u8], at: usize| {
        let pair = [b[at], b[at + 1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    };
    // Eight units below 0x80: every high byte zero, no low byte from 0x80.
    let (ascii_mask, low_byte) = if big_endian {
        (0x80FF_80FF_80FF_80FF_80FF_80FF_80FF_80FF_u128, 1)
    } else {
        (0xFF80_FF80_FF80_FF80_FF80_FF80_FF80_FF80_u128, 0)
    };
    let end = from + (buf.len() - from) / 2 * 2;
    let (mut read, mut write) = (from, 0);
    let mut aside: Option<Vec<u8>> = None;
    let text_so_far = |buf: &[u8], write: usize, aside: &Option<Vec<u8>>| {
        let mut t = buf[..write].to_vec();
        t.extend_from_slice(aside.as_deref().unwrap_or_default());
        t
    };
    while read < end {
        if aside.is_none() && read + 16 <= end {
            let chunk: [u8; 16] = buf[read..read + 16].try_into().unwrap_or([0xFF; 16]);
            if u128::from_le_bytes(chunk) & ascii_mask == 0 {
                for i in 0..8 {
                    buf[write + i] = chunk[2 * i + low_byte];
                }
                write += 8;
                read += 16;
                continue;
            }
        }
        let u = unit(buf, read);
        let (c, used) = match u {
            0xD800..=0xDBFF => match (read + 2 < end).then(|| unit(buf, read + 2)) {
                Some(low @ 0xDC00..=0xDFFF) => (
                    char::from_u32(
                        0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00),
                    ),
                    4,
                ),
                _ => (None, 2),
            },
            0xDC00..=0xDFFF => (None, 2),
            _ => (char::from_u32(u32::from(u)), 2),
        };
        let Some(c) = c else {
            return Err(DecodeError {
                line: count_lines(&text_so_far(buf, write, &aside)),
                reason: format!("the file is {encoding} but holds a broken character"),
            });
        };
        let mut tmp = [0u8; 4];
        let utf8 = c.encode_utf8(&mut tmp).as_bytes();
        match &mut aside {
            Some(t) => t.extend_from_slice(utf8),
            None if write + utf8.len() <= read + used => {
                buf[write..write + utf8.len()].copy_from_slice(utf8);
                write += utf8.len();
            }
            None => {
                let mut t = Vec::with_capacity(end - read);
                t.extend_from_slice(utf8);
                aside = Some(t);
            }
        }
        read += used;
    }
    if (buf.len() - from) % 2 == 1 {
        return Err(DecodeError {
            line: count_lines(&text_so_far(buf, write, &aside)),
            reason: format!("the file is {encoding} but ends in the middle of a character"),
        });
    }
    buf.truncate(write);
    if let Some(t) = aside {
        buf.extend_from_slice(&t);
    }
    let len = newlines_in_slice(buf);
    buf.truncate(len);
    Ok((0, encoding))
}

/// Make `\r\n` and a lone `\r` into `\n` at the front of `bytes`; the length of the result.
/// The text between two `\r` moves as one run.
fn newlines_in_slice(bytes: &mut [u8]) -> usize {
    let Some(first) = memchr::memchr(b'\r', bytes) else {
        return bytes.len();
    };
    // `read` is at a `\r`, everything before `write` is done.
    let (mut read, mut write) = (first, first);
    loop {
        bytes[write] = b'\n';
        write += 1;
        read += 1;
        if bytes.get(read) == Some(&b'\n') {
            read += 1;
        }
        let next = memchr::memchr(b'\r', &bytes[read..]).map_or(bytes.len(), |i| read + i);
        bytes.copy_within(read..next, write);
        write += next - read;
        if next == bytes.len() {
            return write;
        }
        read = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder before the in-place one (encoding_rs and std's UTF-16 decoding), kept
    /// as the oracle: decode `bytes` to text with every line break as `\n`, and say which encoding it was.
    /// Borrows when the input is UTF-8 with `\n` line ends already.
    fn reference(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), DecodeError> {
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

    /// Replace `\r\n` and lone `\r` with `\n`; borrows when there is nothing to replace.
    fn normalize_newlines(text: Cow<'_, str>) -> Cow<'_, str> {
        if !text.as_bytes().contains(&b'\r') {
            return text;
        }
        let mut out = String::with_capacity(text.len());
        for (i, piece) in text.split('\r').enumerate() {
            if i > 0 && !piece.starts_with('\n') {
                out.push('\n');
            }
            out.push_str(piece);
        }
        Cow::Owned(out)
    }

    fn in_place(b: &[u8]) -> Result<(String, Encoding), DecodeError> {
        let mut buf = b.to_vec();
        decode_in_place(&mut buf).map(|(t, e)| (t.to_string(), e))
    }

    fn borrowed(b: &[u8]) -> Result<(String, Encoding), DecodeError> {
        decode(b).map(|(t, e)| (t.into_owned(), e))
    }

    fn oracle(b: &[u8]) -> Result<(String, Encoding), DecodeError> {
        reference(b).map(|(t, e)| (t.into_owned(), e))
    }

    fn utf16_of(s: &str, big_endian: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn bytes_decode_as_the_reference_decodes_them_in_place_and_borrowed() {
        let long_cjk = "中文;".repeat(40);
        let mut cases: Vec<Vec<u8>> = vec![
            b"a;b\n".to_vec(),
            b"\xEF\xBB\xBFa;\xC3\xA5\r\n".to_vec(),
            b"a;b\r\nc\rd".to_vec(),
            b"\xE6;\xF8\n".to_vec(),
            b"\x80\x81\x8D\x8F\x90\x9D\x9F\xA0\xFF;\r\n\xE5".to_vec(),
            b"\xEF\xBB\xBFa\r\nb\r\n\xFF".to_vec(),
            b"\xFF\xFEa\0\n\0\x00\xD8b\0".to_vec(),
            b"\xFF\xFEa\0b".to_vec(),
            b"a\0\t\0b\0".to_vec(),
            Vec::new(),
        ];
        for be in [false, true] {
            let bom = if be { [0xFE, 0xFF] } else { [0xFF, 0xFE] };
            for text in [
                "a;b\r\næ;ø\rå\n",
                "abcdefghijklmnopqrstuvwxyz;0123456789\r\n€;😀",
                long_cjk.as_str(),
                "x\r",
            ] {
                let mut with_bom = bom.to_vec();
                with_bom.extend(utf16_of(text, be));
                cases.push(with_bom.clone());
                with_bom.push(b'!');
                cases.push(with_bom);
                cases.push(utf16_of(text, be));
            }
        }
        for b in cases {
            assert_eq!(in_place(&b), oracle(&b), "{b:?}");
            assert_eq!(borrowed(&b), oracle(&b), "{b:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_as_the_reference_decodes_them(
            bytes in proptest::collection::vec(proptest::sample::select(vec![
                b'a', b';', b'\r', b'\n', 0x00, 0x80, 0x81, 0x8D, 0x9F, 0xA0, 0xC3, 0xA5,
                0xE6, 0xFF, 0xFE, 0xEF, 0xBB, 0xBF, 0xD8, 0xDC, 0xE4, 0xB8, 0xAD,
            ]), 0..120)
        ) {
            proptest::prop_assert_eq!(in_place(&bytes), oracle(&bytes));
            proptest::prop_assert_eq!(borrowed(&bytes), oracle(&bytes));
        }

        #[test]
        fn any_utf16_decodes_as_the_reference_decodes_it(
            units in proptest::collection::vec(proptest::sample::select(vec![
                0x61u16, 0x3B, 0x0D, 0x0A, 0xE5, 0x20AC, 0x4E2D, 0xD83D, 0xDE00, 0xDC00, 0xD800,
            ]), 0..120),
            big_endian: bool,
            bom: bool,
            odd: bool,
        ) {
            let mut bytes = Vec::new();
            if bom {
                bytes.extend(if big_endian { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
            }
            for u in units {
                bytes.extend(if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            if odd {
                bytes.push(b'x');
            }
            proptest::prop_assert_eq!(in_place(&bytes), oracle(&bytes));
            proptest::prop_assert_eq!(borrowed(&bytes), oracle(&bytes));
        }
    }

    #[test]
    fn line_ends_made_in_place_are_the_references_line_ends() {
        for s in [
            "a\r\nb",
            "a\rb",
            "\r\r\n\n\r",
            "æ\r\nø\rå\r",
            "\r",
            "x\r\n",
            "\n\r\n\r",
        ] {
            let mut bytes = s.as_bytes().to_vec();
            let len = newlines_in_slice(&mut bytes);
            let in_place = String::from_utf8(bytes[..len].to_vec()).unwrap();
            assert_eq!(in_place, normalize_newlines(Cow::Borrowed(s)), "{s:?}");
            assert!(!in_place.contains('\r'), "{s:?}");
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
