//! Records from bytes: delimiter detection, the delimited-text reader and the whitespace
//! splitter. Both give borrowed records with 1-based physical line numbers.
//!
//! The delimited reader follows the `csv` crate's reading rules (RFC 4180 quotes, `""`
//! escapes, quoted fields spanning lines, a quote inside an unquoted field is literal, empty
//! lines skipped, `\n` ends a record and `\r` is data) with a fast path: a line without a
//! quote character is split on the delimiter directly.

use crate::options::Delimiter;
use std::io::{self, Cursor, Read};

/// The longest line the whitespace reader accepts.
const MAX_LINE: usize = 64 << 20;
const BUF: usize = 1 << 20;

type Prefixed<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// A record source over any reader.
pub(crate) enum Source<R: Read> {
    Delim(DelimReader<Prefixed<R>>),
    Ws(WsReader<Prefixed<R>>),
}

/// One record, borrowed from the source.
pub(crate) struct Rec<'a> {
    kind: RecKind<'a>,
    /// 1-based physical line of the record's start.
    pub(crate) line: u64,
}

enum RecKind<'a> {
    /// Delimited fields: `buf[s..e]` for each bound.
    Delim {
        buf: &'a [u8],
        bounds: &'a [(usize, usize)],
    },
    Ws {
        line: &'a [u8],
        bounds: &'a [(usize, usize)],
    },
}

impl<'a> Rec<'a> {
    pub(crate) fn len(&self) -> usize {
        match &self.kind {
            RecKind::Delim { bounds, .. } | RecKind::Ws { bounds, .. } => bounds.len(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        match &self.kind {
            RecKind::Delim { buf, bounds } => bounds.get(i).map(|&(s, e)| &buf[s..e]),
            RecKind::Ws { line, bounds } => bounds.get(i).map(|&(s, e)| &line[s..e]),
        }
    }

    /// The record as text for a rejects file: the whitespace line as read, or the CSV
    /// fields re-joined with the delimiter (quoted where needed).
    pub(crate) fn raw(&self, delimiter: u8) -> String {
        match &self.kind {
            RecKind::Ws { line, .. } => String::from_utf8_lossy(line).into_owned(),
            RecKind::Delim { buf, bounds } => {
                let mut out = String::new();
                let n = bounds.len();
                for (i, f) in bounds.iter().map(|&(s, e)| &buf[s..e]).enumerate() {
                    let f = if i + 1 == n {
                        f.strip_suffix(b"\r").unwrap_or(f)
                    } else {
                        f
                    };
                    if i > 0 {
                        out.push(delimiter as char);
                    }
                    let f = String::from_utf8_lossy(f);
                    if f.bytes()
                        .any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
                    {
                        out.push('"');
                        out.push_str(&f.replace('"', "\"\""));
                        out.push('"');
                    } else {
                        out.push_str(&f);
                    }
                }
                out
            }
        }
    }
}

impl<R: Read> Source<R> {
    /// Opens `input`, strips a UTF-8 BOM and resolves [`Delimiter::Auto`].
    pub(crate) fn open(mut input: R, delimiter: Delimiter) -> io::Result<(Source<R>, Delimiter)> {
        let mut prefix = Vec::with_capacity(64 << 10);
        let mut chunk = [0u8; 16 << 10];
        loop {
            let newlines = memchr::memchr_iter(b'\n', &prefix).count();
            if newlines > 20 || prefix.len() >= 64 << 10 {
                break;
            }
            let n = match input.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            prefix.extend_from_slice(&chunk[..n]);
        }
        let mut offset = 0;
        if prefix.starts_with(b"\xEF\xBB\xBF") {
            prefix.drain(..3);
            offset = 3;
        }
        let delimiter = match delimiter {
            Delimiter::Auto => detect(&prefix),
            d => d,
        };
        let chained = Cursor::new(prefix).chain(input);
        let src = match delimiter {
            Delimiter::Byte(d) => Source::Delim(DelimReader::new(chained, offset, d)),
            _ => Source::Ws(WsReader::new(chained, offset)),
        };
        Ok((src, delimiter))
    }

    /// Bytes consumed so far.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Source::Delim(r) => r.lines.bytes,
            Source::Ws(w) => w.bytes,
        }
    }

    /// The next non-empty record.
    pub(crate) fn next(&mut self) -> io::Result<Option<Rec<'_>>> {
        match self {
            Source::Delim(r) => r.next(),
            Source::Ws(w) => w.next(),
        }
    }
}

/// A reusable input buffer: the unread bytes are `buf[start..end]`.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    line_no: u64,
    bytes: u64,
}

impl<R: Read> Lines<R> {
    fn new(inner: R, offset: u64) -> Self {
        Lines {
            inner,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            eof: false,
            line_no: 0,
            bytes: offset,
        }
    }

    /// Moves the unread bytes to the front and reads more (doubling the buffer when it is
    /// full, up to [`MAX_LINE`]).
    fn fill(&mut self) -> io::Result<()> {
        refill(
            &mut self.inner,
            &mut self.buf,
            (&mut self.start, &mut self.end),
            &mut self.eof,
            self.line_no,
        )
    }
}

/// Delimited records (see the module docs for the rules).
pub(crate) struct DelimReader<R> {
    lines: Lines<R>,
    delimiter: u8,
    bounds: Vec<(usize, usize)>,
    /// Unescaped fields of a record with quotes.
    unquoted: Vec<u8>,
}

/// How a quoted record scan ended.
enum Scan {
    /// Bytes consumed (the terminating `\n` included) and newlines inside quotes.
    Done(usize, u64),
    /// The buffer ended inside the record: read more.
    More,
}

impl<R: Read> DelimReader<R> {
    fn new(inner: R, offset: u64, delimiter: u8) -> Self {
        DelimReader {
            lines: Lines::new(inner, offset),
            delimiter,
            bounds: Vec::with_capacity(16),
            unquoted: Vec::new(),
        }
    }

    fn next(&mut self) -> io::Result<Option<Rec<'_>>> {
        let d = self.delimiter;
        loop {
            let l = &mut self.lines;
            let avail = &l.buf[l.start..l.end];
            // One pass over the line: field bounds, its end, and whether it has a quote.
            self.bounds.clear();
            let (mut s, mut i, mut quote) = (0, 0, false);
            while i < avail.len() {
                let b = avail[i];
                if b == b'\n' {
                    break;
                } else if b == d {
                    self.bounds.push((s, i));
                    s = i + 1;
                } else if b == b'"' {
                    quote = true;
                    break;
                }
                i += 1;
            }
            let nl = if quote {
                memchr::memchr(b'\n', avail)
            } else {
                (i < avail.len()).then_some(i)
            };
            let line_len = match nl {
                Some(i) => i,
                None if l.eof => {
                    if avail.is_empty() {
                        return Ok(None);
                    }
                    avail.len()
                }
                None => {
                    l.fill()?;
                    continue;
                }
            };
            let line = &avail[..line_len];
            if quote {
                // A record with quotes, possibly spanning lines.
                let scan = scan_quoted(
                    &l.buf[l.start..l.end],
                    l.eof,
                    d,
                    &mut self.unquoted,
                    &mut self.bounds,
                );
                match scan {
                    Scan::More => {
                        l.fill()?;
                        continue;
                    }
                    Scan::Done(consumed, inner_newlines) => {
                        l.line_no += 1;
                        let line_no = l.line_no;
                        l.line_no += inner_newlines;
                        l.start += consumed;
                        l.bytes += consumed as u64;
                        if self.bounds.len() == 1 && self.unquoted.trim_ascii().is_empty() {
                            continue; // a blank record (`""`) is skipped like an empty line
                        }
                        return Ok(Some(Rec {
                            kind: RecKind::Delim {
                                buf: &self.unquoted,
                                bounds: &self.bounds,
                            },
                            line: line_no,
                        }));
                    }
                }
            }
            let ls = l.start;
            let consumed = line_len + usize::from(nl.is_some());
            l.start += consumed;
            l.bytes += consumed as u64;
            l.line_no += 1;
            if self.bounds.is_empty() && line.trim_ascii().is_empty() {
                continue; // an empty or blank line (`\r` alone, spaces) is no record
            }
            self.bounds.push((s, line_len));
            return Ok(Some(Rec {
                kind: RecKind::Delim {
                    buf: &self.lines.buf[ls..ls + line_len],
                    bounds: &self.bounds,
                },
                line: self.lines.line_no,
            }));
        }
    }
}

/// Reads one record with quotes from the start of `data` (as the `csv` crate does: a quote
/// opens a quoted field only at the start of a field; `""` inside is one quote; after the
/// closing quote the field goes on to the next delimiter). Fields are unescaped into `out`.
fn scan_quoted(
    data: &[u8],
    eof: bool,
    d: u8,
    out: &mut Vec<u8>,
    bounds: &mut Vec<(usize, usize)>,
) -> Scan {
    out.clear();
    bounds.clear();
    let mut newlines = 0u64;
    let mut field_start = 0usize;
    let mut i = 0usize;
    let mut at_field_start = true;
    let mut in_quotes = false;
    while i < data.len() {
        let b = data[i];
        if in_quotes {
            if b == b'"' {
                if i + 1 == data.len() && !eof {
                    return Scan::More; // `"` or `""`: need the next byte
                }
                if data.get(i + 1) == Some(&b'"') {
                    out.push(b'"');
                    i += 2;
                    continue;
                }
                in_quotes = false;
            } else {
                if b == b'\n' {
                    newlines += 1;
                }
                out.push(b);
            }
            i += 1;
            continue;
        }
        if b == b'"' && at_field_start {
            in_quotes = true;
            at_field_start = false;
            i += 1;
            continue;
        }
        at_field_start = false;
        if b == d {
            bounds.push((field_start, out.len()));
            field_start = out.len();
            at_field_start = true;
        } else if b == b'\n' {
            bounds.push((field_start, out.len()));
            return Scan::Done(i + 1, newlines);
        } else {
            out.push(b);
        }
        i += 1;
    }
    if !eof {
        return Scan::More;
    }
    bounds.push((field_start, out.len()));
    Scan::Done(data.len(), newlines)
}

/// Splits lines on runs of blanks, with a reusable buffer (no allocation per line).
pub(crate) struct WsReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    line_no: u64,
    bytes: u64,
    bounds: Vec<(usize, usize)>,
}

impl<R: Read> WsReader<R> {
    fn new(inner: R, offset: u64) -> Self {
        WsReader {
            inner,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            eof: false,
            line_no: 0,
            bytes: offset,
            bounds: Vec::with_capacity(16),
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        refill(
            &mut self.inner,
            &mut self.buf,
            (&mut self.start, &mut self.end),
            &mut self.eof,
            self.line_no,
        )
    }

    fn next(&mut self) -> io::Result<Option<Rec<'_>>> {
        let (ls, le) = loop {
            let (ls, le) = match memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                Some(i) => {
                    let r = (self.start, self.start + i);
                    self.start += i + 1;
                    self.bytes += i as u64 + 1;
                    r
                }
                None if self.eof => {
                    if self.start == self.end {
                        return Ok(None);
                    }
                    let r = (self.start, self.end);
                    self.bytes += (self.end - self.start) as u64;
                    self.start = self.end;
                    r
                }
                None => {
                    self.fill()?;
                    continue;
                }
            };
            self.line_no += 1;
            let line = &self.buf[ls..le];
            self.bounds.clear();
            let mut i = 0;
            let n = line.len();
            while i < n {
                while i < n && is_blank(line[i]) {
                    i += 1;
                }
                if i == n {
                    break;
                }
                let s = i;
                while i < n && !is_blank(line[i]) {
                    i += 1;
                }
                self.bounds.push((s, i));
            }
            if !self.bounds.is_empty() {
                break (ls, le);
            }
        };
        let mut le = le;
        if le > ls && self.buf[le - 1] == b'\r' {
            le -= 1;
        }
        Ok(Some(Rec {
            kind: RecKind::Ws {
                line: &self.buf[ls..le],
                bounds: &self.bounds,
            },
            line: self.line_no,
        }))
    }
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

/// Picks `,` `;` or tab from the first lines, else whitespace.
fn detect(prefix: &[u8]) -> Delimiter {
    const CANDIDATES: [u8; 3] = [b'\t', b';', b','];
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    let mut non_blank = false;
    for &b in prefix {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if non_blank {
                    lines.push(counts);
                }
                counts = [0; 3];
                non_blank = false;
                if lines.len() >= 20 {
                    break;
                }
                continue;
            }
            _ => {}
        }
        if !in_quotes && let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
            counts[k] += 1;
        }
        if !b.is_ascii_whitespace() {
            non_blank = true;
        }
    }
    if non_blank && lines.len() < 20 {
        lines.push(counts);
    }
    let Some(first) = lines.first() else {
        return Delimiter::Whitespace;
    };
    let mut best: Option<(usize, usize)> = None;
    for k in 0..3 {
        let c = first[k];
        if c > 0 && lines.iter().all(|l| l[k] == c) && best.is_none_or(|(_, bc)| c > bc) {
            best = Some((k, c));
        }
    }
    if best.is_none() {
        // Uneven counts (a bad row among the first lines): a delimiter present on every line.
        for k in 0..3 {
            let c = first[k];
            if c > 0 && lines.iter().all(|l| l[k] > 0) && best.is_none_or(|(_, bc)| c > bc) {
                best = Some((k, c));
            }
        }
    }
    match best {
        Some((k, _)) => Delimiter::Byte(CANDIDATES[k]),
        None => Delimiter::Whitespace,
    }
}

/// Moves the unread bytes `buf[start..end]` to the front and reads more from `inner`
/// (doubling the buffer when it is full, up to [`MAX_LINE`]); sets `eof` at the end of the
/// input. `line_no` (the last complete line) names the line in the too-long error.
fn refill<R: Read>(
    inner: &mut R,
    buf: &mut Vec<u8>,
    (start, end): (&mut usize, &mut usize),
    eof: &mut bool,
    line_no: u64,
) -> io::Result<()> {
    if *start > 0 {
        buf.copy_within(*start..*end, 0);
        *end -= *start;
        *start = 0;
    }
    if *end == buf.len() {
        if buf.len() >= MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line {} is longer than {} MiB", line_no + 1, MAX_LINE >> 20),
            ));
        }
        buf.resize(buf.len() * 2, 0);
    }
    loop {
        match inner.read(&mut buf[*end..]) {
            Ok(0) => {
                *eof = true;
                return Ok(());
            }
            Ok(n) => {
                *end += n;
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records (line, fields) as the `csv` crate reads them, blank records skipped.
    fn csv_crate(data: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(data);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            if rec.len() == 1 && rec[0].trim_ascii().is_empty() {
                continue;
            }
            let line = rec.position().map_or(0, |p| p.line());
            out.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    fn ours(data: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut r = DelimReader::new(data, 0, b',');
        let mut out = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            let fields = (0..rec.len()).map(|i| rec.get(i).unwrap_or_default().to_vec());
            out.push((rec.line, fields.collect()));
        }
        out
    }

    proptest! {
        #[test]
        fn delimited_reader_reads_like_the_csv_crate(
            bytes in prop::collection::vec(prop::sample::select(&b"ab,\"\n\r "[..]), 0..80)
        ) {
            let (a, b) = (ours(&bytes), csv_crate(&bytes));
            let fields = |v: &[(u64, Vec<Vec<u8>>)]| v.iter().map(|r| r.1.clone()).collect::<Vec<_>>();
            prop_assert_eq!(fields(&a), fields(&b));
            // The csv crate does not count empty lines it skips; ours are physical lines.
            if !bytes.starts_with(b"\n") && !bytes.windows(2).any(|w| w == b"\n\n") {
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn delimited_reader_edges() {
        for data in [
            &b"a,b\n\"x\ny\",\"q\"\"\"\n\n\r\n c \nlast"[..],
            b"\"unterminated,\n",
            b"x\"y\",z\n\"a\"b,c",
            b"",
        ] {
            assert_eq!(ours(data), csv_crate(data), "{}", data.escape_ascii());
        }
        // Physical line numbers after empty lines (the csv crate says 2 here).
        assert_eq!(
            ours(b"aa\n\na"),
            [(1, vec![b"aa".to_vec()]), (3, vec![b"a".to_vec()])]
        );
    }

    #[test]
    fn detection() {
        assert_eq!(detect(b"a,b,c\n1,2,3\n"), Delimiter::Byte(b','));
        assert_eq!(detect(b"a;b;c\r\n1;2;3,5\r\n"), Delimiter::Byte(b';'));
        assert_eq!(detect(b"a\tb\n1\t2"), Delimiter::Byte(b'\t'));
        assert_eq!(
            detect(b" customer_id  date\r\n 00001 19970101\r\n"),
            Delimiter::Whitespace
        );
        assert_eq!(detect(b"a,\"b;c\"\n1,\"2;3\"\n"), Delimiter::Byte(b','));
        assert_eq!(detect(b""), Delimiter::Whitespace);
    }

    #[test]
    fn whitespace_lines() {
        let data = b"\xEF\xBB\xBF a  b\tc \r\n\r\n   \n1 2 3";
        let (mut s, d) = Source::open(&data[..], Delimiter::Auto).unwrap();
        assert_eq!(d, Delimiter::Whitespace);
        let r = s.next().unwrap().unwrap();
        assert_eq!((r.line, r.len(), r.get(2)), (1, 3, Some(&b"c"[..])));
        let r = s.next().unwrap().unwrap();
        assert_eq!((r.line, r.len(), r.get(0)), (4, 3, Some(&b"1"[..])));
        assert!(s.next().unwrap().is_none());
        assert_eq!(s.bytes(), data.len() as u64);
    }
}
