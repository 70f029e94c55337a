//! Records from bytes: delimiter detection, the CSV reader (the `csv` crate) and the
//! whitespace splitter. Both give borrowed records with 1-based physical line numbers.

use crate::options::Delimiter;
use csv::ByteRecord;
use std::io::{self, Cursor, Read};

/// The longest line the whitespace reader accepts.
const MAX_LINE: usize = 64 << 20;
const BUF: usize = 1 << 20;

type Prefixed<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// A record source over any reader.
pub(crate) enum Source<R: Read> {
    Csv {
        rdr: Box<csv::Reader<Prefixed<R>>>,
        rec: ByteRecord,
        offset: u64,
    },
    Ws(WsReader<Prefixed<R>>),
}

/// One record, borrowed from the source.
pub(crate) struct Rec<'a> {
    kind: RecKind<'a>,
    /// 1-based physical line of the record's start.
    pub(crate) line: u64,
}

enum RecKind<'a> {
    Csv(&'a ByteRecord),
    Ws {
        line: &'a [u8],
        bounds: &'a [(usize, usize)],
    },
}

impl<'a> Rec<'a> {
    pub(crate) fn len(&self) -> usize {
        match &self.kind {
            RecKind::Csv(r) => r.len(),
            RecKind::Ws { bounds, .. } => bounds.len(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        match &self.kind {
            RecKind::Csv(r) => r.get(i),
            RecKind::Ws { line, bounds } => bounds.get(i).map(|&(s, e)| &line[s..e]),
        }
    }

    /// The record as text for a rejects file: the whitespace line as read, or the CSV
    /// fields re-joined with the delimiter (quoted where needed).
    pub(crate) fn raw(&self, delimiter: u8) -> String {
        match &self.kind {
            RecKind::Ws { line, .. } => String::from_utf8_lossy(line).into_owned(),
            RecKind::Csv(r) => {
                let mut out = String::new();
                let n = r.len();
                for (i, f) in r.iter().enumerate() {
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
            Delimiter::Byte(d) => {
                let rdr = csv::ReaderBuilder::new()
                    .delimiter(d)
                    .has_headers(false)
                    .flexible(true)
                    // `\n` only: with the default CRLF terminator the csv crate reports the
                    // start line of a record after a CRLF one line too low. A `\r` left at the
                    // end of the last field is trimmed like any blank.
                    .terminator(csv::Terminator::Any(b'\n'))
                    .buffer_capacity(BUF)
                    .from_reader(chained);
                Source::Csv {
                    rdr: Box::new(rdr),
                    rec: ByteRecord::new(),
                    offset,
                }
            }
            _ => Source::Ws(WsReader::new(chained, offset)),
        };
        Ok((src, delimiter))
    }

    /// Bytes consumed so far.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Source::Csv { rdr, offset, .. } => rdr.position().byte() + offset,
            Source::Ws(w) => w.bytes,
        }
    }

    /// The next non-empty record.
    pub(crate) fn next(&mut self) -> io::Result<Option<Rec<'_>>> {
        match self {
            Source::Csv { rdr, rec, .. } => {
                loop {
                    let more = rdr.read_byte_record(rec).map_err(|e| match e.into_kind() {
                        csv::ErrorKind::Io(e) => e,
                        other => io::Error::other(format!("{other:?}")),
                    })?;
                    if !more {
                        return Ok(None);
                    }
                    // A blank line (`\r` alone, spaces) is skipped like an empty one.
                    if !(rec.len() == 1 && rec[0].trim_ascii().is_empty()) {
                        break;
                    }
                }
                let line = rec.position().map_or(0, |p| p.line());
                Ok(Some(Rec {
                    kind: RecKind::Csv(rec),
                    line,
                }))
            }
            Source::Ws(w) => w.next(),
        }
    }
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
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {} is longer than {} MiB",
                        self.line_no + 1,
                        MAX_LINE >> 20
                    ),
                ));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
