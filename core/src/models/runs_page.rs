//! A direct reader of the runs page's envelope, `{"data": {"runs": [...], "total": ...}}`, for
//! the form the API sends: the largest response, and the one users read most (paging through a
//! history).
//!
//! Through serde_json a 100-run page cost ~4,000 instructions per run: serde_json's per-token
//! work (a key or a short string costs ~100 instructions whatever its length, a number goes
//! through its general parser) dominated the ~130 bytes of a run. This reader walks the bytes once
//! and builds the models directly.
//!
//! It reads a subset of JSON and gives up (`None`) on anything outside it, and the caller then
//! decodes the body with serde_json (`decode::data`), which gives the result or the error. So
//! serde_json stays the one judge of a body that is not in the plain form, and every error
//! message is its own. The subset, for which this reader's result is serde_json's:
//! - strings without escapes or control characters (the body is already checked to be UTF-8);
//! - integers of digits only (no sign, no leading zero, no fraction or exponent), in range;
//! - `cost` as digits with an optional fraction, whose digits make a number below 2^53 with at
//!   most 22 fraction digits: then the value is `digits / 10^fraction` in one correctly rounded
//!   division, exactly what serde_json computes (`f64_from_parts`) and what a correctly rounding
//!   parser gives;
//! - timestamps in the API's own form (`usual_timestamp`);
//! - every required key once; unknown keys of a run or a page only with a string, number,
//!   `true`, `false` or `null` value (read by serde_json into `extra`; an object or array value
//!   could exceed serde_json's nesting limit at a depth this reader does not track);
//! - no key in the envelope but `data`.
//!
//! The tests below check on mutated pages (proptest) that whenever this reader answers,
//! serde_json answers the same.

use serde_json::Value;
use time::OffsetDateTime;

use super::deserialize::{LastDate, usual_timestamp_after};
use super::{Extra, Run, RunPage};

/// The fewest bytes a run takes in any form this reader accepts, with the comma after it:
/// `{"id":"","status":"","tokens_used":0,"cost":0,"duration_ms":0,"created_at":"…"},` with a
/// 20-byte timestamp (a test holds it to that text). Only a capacity: were it wrong, the vector
/// would grow or be shrunk, never read past.
const FEWEST_BYTES_PER_RUN: usize = 99;

/// Reads `{"data": <runs page>}`, or `None` when the body is not in the plain form (see the
/// module's doc) and must be decoded by serde_json.
pub(crate) fn read_envelope(text: &str) -> Option<RunPage> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        text,
        at: 0,
        last_date: None,
    };
    cursor.open(b'{')?;
    if cursor.key()? != "data" {
        return None;
    }
    let page = cursor.page()?;
    cursor.open(b'}')?;
    cursor.skip_whitespace();
    (cursor.at == cursor.bytes.len()).then_some(page)
}

/// The most decimal digits that always fit in a `u64`.
const MAX_DIGITS: usize = 19;

/// The length of the string that starts `rest` (after its opening quote) up to its closing
/// quote, or `None` at an escape, a control character or the end of the body. Eight bytes at a
/// time, as serde_json's own scan does: a byte-at-a-time loop cost as much as serde_json on a
/// runs page.
fn plain_string_length(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Each byte of `word` that is zero gets its high bit set (and no byte before the first
    // such byte does: the lowest set bit marks the first zero byte).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let stops = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            // Bytes below 0x20: subtracting 0x20 borrows into the high bit.
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if stops != 0 {
            let at = offset + (stops.trailing_zeros() / 8) as usize;
            return (rest[at] == b'"').then_some(at);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    (tail[at] == b'"').then_some(offset + at)
}

/// A position in the body.
struct Cursor<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    /// The date of the last timestamp read (most runs of a page share it).
    last_date: LastDate,
}

impl<'a> Cursor<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    /// Consumes `byte` (after whitespace) or gives up.
    fn open(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// After a member of an object or an element of an array: `true` at a comma (another
    /// follows), `false` at `end` (consumed), `None` otherwise.
    fn more(&mut self, end: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.at += 1;
                Some(true)
            }
            byte if byte == end => {
                self.at += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.open(b'"')?;
        let start = self.at;
        let length = plain_string_length(&self.bytes[start..])?;
        self.at = start + length + 1;
        // The body is UTF-8 and `"` is ASCII, so both ends are character boundaries.
        self.text.get(start..start + length)
    }

    /// A key and its colon.
    fn key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.open(b':')?;
        Some(key)
    }

    /// Consumes `literal` if the body continues with exactly it (compared in place: no scan).
    fn literal<const N: usize>(&mut self, literal: &[u8; N]) -> Option<()> {
        let next: &[u8; N] = self.bytes.get(self.at..self.at + N)?.try_into().ok()?;
        (next == literal).then(|| self.at += N)
    }

    /// Digits without a leading zero (`0` alone is fine), as their value.
    fn digits(&mut self) -> Option<(u64, usize)> {
        self.skip_whitespace();
        let start = self.at;
        let value = self.sum_digits(0);
        let count = self.at - start;
        if count == 0 || count > MAX_DIGITS || (count > 1 && self.bytes[start] == b'0') {
            return None;
        }
        Some((value, count))
    }

    /// `value` followed by the digits at the cursor, as a number (wrapped past [`MAX_DIGITS`]
    /// digits: the callers count them and give up on more).
    fn sum_digits(&mut self, mut value: u64) -> u64 {
        while let Some(&byte @ b'0'..=b'9') = self.bytes.get(self.at) {
            value = value
                .wrapping_mul(10)
                .wrapping_add(u64::from(byte.wrapping_sub(b'0')));
            self.at += 1;
        }
        value
    }

    /// A non-negative integer (a fraction or an exponent after it makes `more` give up).
    fn unsigned(&mut self) -> Option<u64> {
        Some(self.digits()?.0)
    }

    /// A number as an `f64`, as serde_json reads it.
    fn float(&mut self) -> Option<f64> {
        self.skip_whitespace();
        let start = self.at;
        if let Some(value) = self.plain_decimal() {
            return Some(value);
        }
        // Any other number (a sign, an exponent, more digits), or not a number: serde_json's to
        // read or refuse.
        self.at = start;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
        }
        serde_json::from_str(&self.text[start..self.at]).ok()
    }

    /// `digits` or `digits.digits` (JSON's form: no leading zero), when the digits make a
    /// number below 2^53 with at most 22 after the point. Its value is then
    /// `digits / 10^fraction`, one correctly rounded division of two exact numbers: what
    /// serde_json computes (`f64_from_parts`, with or without its `float_roundtrip` feature) and
    /// what any correctly rounding parser gives. `None` for any other number.
    fn plain_decimal(&mut self) -> Option<f64> {
        /// Powers of ten that are exact in an `f64`.
        const EXACT_POWERS: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        const EXACT_INTEGERS: u64 = 1 << 53;
        let (mut significand, integer_digits) = self.digits()?;
        let mut fraction_digits = 0;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            let start = self.at;
            significand = self.sum_digits(significand);
            fraction_digits = self.at - start;
            // `1.` is not JSON; more digits than a u64 holds are left to serde_json.
            if fraction_digits == 0 || integer_digits + fraction_digits > MAX_DIGITS {
                return None;
            }
        }
        let more = matches!(
            self.bytes.get(self.at),
            Some(b'-' | b'+' | b'.' | b'e' | b'E')
        );
        if more || significand >= EXACT_INTEGERS {
            return None;
        }
        Some(significand as f64 / *EXACT_POWERS.get(fraction_digits)?)
    }

    /// A timestamp in the API's own form.
    fn timestamp(&mut self) -> Option<OffsetDateTime> {
        let text = self.string()?.as_bytes();
        usual_timestamp_after(text, &mut self.last_date)
    }

    /// The value of an unknown key, read by serde_json: a string, number, `true`, `false` or
    /// `null` only (see the module's doc).
    fn scalar(&mut self) -> Option<Value> {
        if matches!(self.peek()?, b'{' | b'[') {
            return None;
        }
        let mut values =
            serde_json::Deserializer::from_str(&self.text[self.at..]).into_iter::<Value>();
        let value = values.next()?.ok()?;
        self.at += values.byte_offset();
        Some(value)
    }

    /// The object of a runs page.
    fn page(&mut self) -> Option<RunPage> {
        let (mut runs, mut total, mut limit, mut offset) = (None, None, None, None);
        let mut extra = Extra::new();
        self.open(b'{')?;
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            match self.key()? {
                "runs" if runs.is_none() => runs = Some(self.runs()?),
                "total" if total.is_none() => total = Some(self.unsigned()?),
                "limit" if limit.is_none() => limit = Some(u32::try_from(self.unsigned()?).ok()?),
                "offset" if offset.is_none() => offset = Some(self.unsigned()?),
                "runs" | "total" | "limit" | "offset" => return None,
                key => {
                    let value = self.scalar()?;
                    extra.insert(key.to_owned(), value);
                }
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Some(RunPage {
            runs: runs?,
            total: total?,
            limit: limit?,
            offset: offset?,
            extra,
        })
    }

    /// The array of runs.
    fn runs(&mut self) -> Option<Vec<Run>> {
        self.open(b'[')?;
        // Allocated once for as many runs as the rest of the body can hold, then shrunk in place:
        // grown run by run, the vector was copied six times on a 100-run page and each old block
        // freed (client CPU per call ~5% lower, bench/README.md).
        let mut runs = Vec::with_capacity((self.bytes.len() - self.at) / FEWEST_BYTES_PER_RUN + 1);
        if self.peek()? == b']' {
            self.at += 1;
            return Some(runs);
        }
        loop {
            runs.push(self.run()?);
            if !self.more(b']')? {
                break;
            }
        }
        runs.shrink_to_fit();
        Some(runs)
    }

    /// One run.
    fn run(&mut self) -> Option<Run> {
        let start = self.at;
        if let Some(run) = self.compact_run() {
            return Some(run);
        }
        self.at = start;
        self.any_run()
    }

    /// A run exactly as the API writes it: compact, its keys in the API's order, no other key.
    /// Each key is compared in place; most runs of a page are read this way.
    fn compact_run(&mut self) -> Option<Run> {
        self.literal(b"{\"id\":")?;
        let id = self.string()?;
        self.literal(b",\"status\":")?;
        let status = self.string()?;
        self.literal(b",\"tokens_used\":")?;
        let tokens_used = self.unsigned()?;
        self.literal(b",\"cost\":")?;
        let cost = self.float()?;
        self.literal(b",\"duration_ms\":")?;
        let duration_ms = self.unsigned()?;
        self.literal(b",\"created_at\":")?;
        let created_at = self.timestamp()?;
        self.literal(b"}")?;
        Some(Run {
            id: id.to_owned(),
            status: status.to_owned(),
            tokens_used,
            cost,
            duration_ms,
            created_at,
            extra: Extra::new(),
        })
    }

    /// A run in any form this reader accepts (whitespace, any order, unknown scalar fields).
    fn any_run(&mut self) -> Option<Run> {
        let (mut id, mut status, mut tokens_used, mut cost, mut duration_ms, mut created_at) =
            (None, None, None, None, None, None);
        let mut extra = Extra::new();
        self.open(b'{')?;
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            match self.key()? {
                "id" if id.is_none() => id = Some(self.string()?),
                "status" if status.is_none() => status = Some(self.string()?),
                "tokens_used" if tokens_used.is_none() => tokens_used = Some(self.unsigned()?),
                "cost" if cost.is_none() => cost = Some(self.float()?),
                "duration_ms" if duration_ms.is_none() => duration_ms = Some(self.unsigned()?),
                "created_at" if created_at.is_none() => created_at = Some(self.timestamp()?),
                "id" | "status" | "tokens_used" | "cost" | "duration_ms" | "created_at" => {
                    return None;
                }
                key => {
                    let value = self.scalar()?;
                    extra.insert(key.to_owned(), value);
                }
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Some(Run {
            id: id?.to_owned(),
            status: status?.to_owned(),
            tokens_used: tokens_used?,
            cost: cost?,
            duration_ms: duration_ms?,
            created_at: created_at?,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Envelope {
        data: RunPage,
    }

    /// serde_json's decoding of the body (the one `decode::data` falls back to).
    fn by_serde(text: &str) -> Result<RunPage, serde_json::Error> {
        serde_json::from_str::<Envelope>(text).map(|e| e.data)
    }

    /// A page as the API (and the emulator) sends it: compact, keys in the API's order.
    fn page(runs: usize) -> String {
        let runs: Vec<String> = (0..runs)
            .map(|i| {
                format!(
                    r#"{{"id":"run_{i:06x}","status":"completed","tokens_used":{},"cost":0.{:04},"duration_ms":{},"created_at":"2026-03-15T08:{:02}:00Z"}}"#,
                    50 + i * 7,
                    i * 13 % 10_000,
                    400 + i,
                    i % 60
                )
            })
            .collect();
        format!(
            r#"{{"data":{{"runs":[{}],"total":1284,"limit":{},"offset":0}}}}"#,
            runs.join(","),
            runs.len()
        )
    }

    #[test]
    fn the_fewest_bytes_of_a_run_are_those_of_the_smallest_run_read() {
        let smallest = r#"{"id":"","status":"","tokens_used":0,"cost":0,"duration_ms":0,"created_at":"2026-03-15T08:30:00Z"},"#;
        assert_eq!(smallest.len(), FEWEST_BYTES_PER_RUN);
        let text = format!(
            r#"{{"data":{{"runs":[{}],"total":1,"limit":1,"offset":0}}}}"#,
            smallest.trim_end_matches(',')
        );
        assert_eq!(read_envelope(&text).unwrap().runs.len(), 1);
    }

    #[test]
    fn the_apis_form_is_read_directly_and_equals_serde_jsons_reading() {
        for runs in [0, 1, 100] {
            let text = page(runs);
            let direct = read_envelope(&text).expect("the plain form is read");
            assert_eq!(direct, by_serde(&text).unwrap());
            assert_eq!(direct.runs.len(), runs);
        }
    }

    #[test]
    fn other_forms_are_read_as_serde_json_reads_them_or_left_to_it() {
        let base = page(2);
        let cases = [
            // Whitespace, other key orders, unknown scalar fields: read directly.
            (base.replace("\":", "\" : ").replace(",\"", " ,\n \""), true),
            (
                base.replace(
                    r#""id":"run_000000","status":"completed""#,
                    r#""status":"completed","id":"run_000000""#,
                ),
                true,
            ),
            (
                base.replace(
                    r#""offset":0"#,
                    r#""offset":0,"next":null,"note":"x","n":-1.5e3"#,
                ),
                true,
            ),
            (
                base.replace(
                    r#""status":"completed""#,
                    r#""status":"completed","model":"m","score":0.1e-2,"ok":true"#,
                ),
                true,
            ),
            // Long and exotic numbers for `cost`: read by serde_json's own number reader.
            (base.replace("0.0000", "0.00118000000000000001"), true),
            (base.replace("0.0000", "12e-5"), true),
            (base.replace("0.0000", "-0.5"), true),
            (base.replace("0.0000", "7"), true),
            // Left to serde_json (which decodes or refuses them).
            (
                base.replace(r#""offset":0"#, r#""offset":0,"more":{"a":1}"#),
                false,
            ),
            (
                base.replace(r#""offset":0"#, r#""offset":0,"more":[1]"#),
                false,
            ),
            (base.replace("run_000000", "run_\\u0030"), false),
            (
                base.replace("2026-03-15T08:00:00Z", "2026-03-15T08:00:00.5+01:00"),
                false,
            ),
            (
                base.replace(r#""total":1284"#, r#""total":1284,"total":3"#),
                false,
            ),
            (
                base.replace(r#""tokens_used":50"#, r#""tokens_used":5.0"#),
                false,
            ),
            (
                base.replace(r#""tokens_used":50"#, r#""tokens_used":050"#),
                false,
            ),
            (
                base.replace(
                    r#""tokens_used":50"#,
                    r#""tokens_used":99999999999999999999"#,
                ),
                false,
            ),
            (base.replace(r#""limit":2"#, r#""limit":4294967296"#), false),
            (base.replace(r#""cost":0.0000"#, r#""cost":1."#), false),
            (base.replace(r#""cost":0.0000,"#, ""), false),
            (base.replace(r#"{"data":"#, r#"{"x":1,"data":"#), false),
            (format!("{base} x"), false),
            (base[..base.len() - 1].to_owned(), false),
        ];
        for (text, direct) in cases {
            let read = read_envelope(&text);
            assert_eq!(read.is_some(), direct, "{text}");
            if let Some(read) = read {
                assert_eq!(read, by_serde(&text).unwrap(), "{text}");
            }
        }
    }

    /// Bytes that change a page's meaning.
    fn mutation() -> impl Strategy<Value = (usize, u8, u8)> {
        let bytes = prop::sample::select(&b"\"\\,:{}[]0123456789.eE-+ \ntfnul\x00\x1fa"[..]);
        (any::<usize>(), 0u8..3, bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Whenever the direct reader answers, serde_json answers the same.
        #[test]
        fn the_direct_reader_never_disagrees_with_serde_json(
            runs in 0usize..4,
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let mut body = page(runs).into_bytes();
            for (at, kind, byte) in mutations {
                let at = at % (body.len() + 1);
                match kind {
                    0 if at < body.len() => body[at] = byte,
                    1 if at < body.len() => drop(body.remove(at)),
                    _ => body.insert(at, byte),
                }
            }
            let Ok(text) = std::str::from_utf8(&body) else { return Ok(()) };
            if let Some(read) = read_envelope(text) {
                prop_assert_eq!(Ok(read), by_serde(text).map_err(|e| e.to_string()), "{}", text);
            }
        }
    }
}
