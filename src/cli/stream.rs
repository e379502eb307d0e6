//! `filter` and `match` over inputs of any size: gzip detected by its magic bytes, decompression and
//! reading on a second thread, JSON Lines handled a chunk at a time with bounded memory, and a
//! progress line on stderr when it is a terminal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use eventsift::lambda::{DropReason, Filter};
use eventsift::{Machine, Pattern};

use super::doc::{self, Kind};
use super::{read_text, FilterArgs, MatchArgs};

/// Bytes per chunk handed from the reader thread to the matcher.
const CHUNK: usize = 1 << 20;
/// Chunks in flight (memory: about `CHUNK * (IN_FLIGHT + 2)`).
const IN_FLIGHT: usize = 4;

/// Is the input standard input (a pipe, perhaps a slow producer)?
fn is_stdin(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// Opens a file (or standard input for `None` and `-`), decompressing gzip.
fn open(path: Option<&Path>) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match path {
        None => Box::new(io::stdin()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin()),
        Some(p) => Box::new(File::open(p)?),
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let head = reader.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(reader))))
    } else {
        Ok(Box::new(reader))
    }
}

fn name(path: Option<&Path>) -> String {
    match path {
        None => "standard input".into(),
        Some(p) if p.as_os_str() == "-" => "standard input".into(),
        Some(p) => p.display().to_string(),
    }
}

/// Whole lines, read and decompressed on another thread. Each chunk ends at a line end (or at the
/// end of input); a line longer than a chunk makes a larger chunk.
///
/// A chunk is a buffer and the length of its data. Buffers go back and forth between the threads
/// and stay initialised at their full length, so a read is never preceded by zeroing the bytes it
/// is about to overwrite (that was a fifth of the reader thread's instructions on gzip input).
struct Chunks {
    rx: Receiver<io::Result<Chunk>>,
    back: SyncSender<Vec<u8>>,
    /// The reader thread has finished (every chunk taken).
    ended: bool,
}

struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

impl Chunk {
    fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Chunks {
    /// `first`: bytes already read from `input`, to come first. `eager`: hand over whole lines as
    /// soon as a read comes back short (a pipe), instead of filling a chunk (a file).
    fn spawn(mut input: Box<dyn BufRead + Send>, first: Vec<u8>, eager: bool) -> Chunks {
        let (tx, rx) = sync_channel::<io::Result<Chunk>>(IN_FLIGHT);
        let (back, recycled) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        thread::spawn(move || {
            let mut carry = first;
            // Whole lines already read (the first line, read to see the input's shape) go at once.
            if let Some(i) = memchr::memrchr(b'\n', &carry) {
                let rest = carry.split_off(i + 1);
                let len = carry.len();
                if tx.send(Ok(Chunk { buf: std::mem::replace(&mut carry, rest), len })).is_err() {
                    return;
                }
            }
            let mut target = CHUNK;
            let mut spare: Option<Vec<u8>> = None;
            loop {
                let mut buf = spare.take().or_else(|| recycled.try_recv().ok()).unwrap_or_default();
                // Room for the carried partial line and a full read past the target; only growth
                // is zeroed.
                let room = target.max(carry.len()) + 4096;
                if buf.len() < room {
                    buf.resize(room, 0);
                }
                buf[..carry.len()].copy_from_slice(&carry);
                let mut len = carry.len();
                carry.clear();
                let mut eof = false;
                while len < target {
                    if buf.len() < len + 4096 {
                        buf.resize(len + 4096, 0);
                    }
                    match input.read(&mut buf[len..]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => {
                            let short = len + n < buf.len();
                            let at = len;
                            len += n;
                            // A pipe with nothing more for now: hand over the lines that came.
                            if eager && short && memchr::memchr(b'\n', &buf[at..len]).is_some() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
                if !eof {
                    // Keep the partial last line for the next chunk; read on if there is no line end.
                    match memchr::memrchr(b'\n', &buf[..len]) {
                        Some(i) => {
                            carry.extend_from_slice(&buf[i + 1..len]);
                            len = i + 1;
                            target = CHUNK;
                        }
                        None => {
                            carry.extend_from_slice(&buf[..len]);
                            target = carry.len() + CHUNK;
                            spare = Some(buf);
                            continue;
                        }
                    }
                }
                if len > 0 && tx.send(Ok(Chunk { buf, len })).is_err() {
                    return;
                }
                if eof {
                    return;
                }
            }
        });
        Chunks { rx, back, ended: false }
    }

    fn next(&mut self) -> Option<io::Result<Chunk>> {
        let next = self.rx.recv().ok();
        self.ended |= next.is_none();
        next
    }

    /// The next chunk if one is ready; `None` if none is ready yet or the input has ended (see
    /// [`pending`](Self::pending)).
    fn try_next(&mut self) -> Option<io::Result<Chunk>> {
        match self.rx.try_recv() {
            Ok(c) => Some(c),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.ended = true;
                None
            }
        }
    }

    /// May more chunks come?
    fn pending(&self) -> bool {
        !self.ended
    }

    fn recycle(&self, chunk: Chunk) {
        let _ = self.back.try_send(chunk.buf);
    }
}

/// What [`for_each_line`] hands over.
enum Item<'a> {
    /// A non-blank line (without its line end) and its 1-based line number.
    Line(usize, &'a [u8]),
    /// The end of a chunk: flush output, so that a slow producer's records come out as they come.
    ChunkEnd,
}

/// Calls `f` on each non-blank line and at each chunk's end. Stops when `f` returns false.
fn for_each_line(chunks: &mut Chunks, mut f: impl FnMut(Item<'_>) -> bool) -> io::Result<()> {
    let mut n = 0usize;
    while let Some(chunk) = chunks.next() {
        let chunk = chunk?;
        let data = chunk.data();
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let line = &data[start..end];
            start = end + 1;
            n += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.iter().all(u8::is_ascii_whitespace) && !f(Item::Line(n, line)) {
                return Ok(());
            }
        }
        chunks.recycle(chunk);
        if !f(Item::ChunkEnd) {
            return Ok(());
        }
    }
    Ok(())
}

/// Records/s, kept and dropped on stderr, at most five times a second, when it is a terminal.
struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        let now = Instant::now();
        Progress { on: !quiet && io::stderr().is_terminal(), start: now, last: now }
    }

    fn tick(&mut self, records: usize, kept: usize, dropped: usize) {
        if self.on && records.is_multiple_of(4096) {
            self.update(records, kept, dropped);
        }
    }

    /// [`tick`](Self::tick) without sampling by count (after a chunk of records).
    fn update(&mut self, records: usize, kept: usize, dropped: usize) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) < Duration::from_millis(200) {
            return;
        }
        self.last = now;
        let rate = records as f64 / now.duration_since(self.start).as_secs_f64().max(1e-9);
        eprint!("\r{records} records, {rate:.0}/s, kept {kept}, dropped {dropped}\x1b[K");
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

fn reason(r: &DropReason) -> String {
    match r {
        DropReason::NoMatch { payload } => format!("no filter matched (payload: {payload:?})"),
        DropReason::Invalid(e) => format!("invalid record: {e}"),
        _ => "dropped".into(),
    }
}

/// How the input looks from its first non-blank line.
enum Shape {
    /// The first line is a whole JSON object without `Records`/`records`/`messages`: JSON Lines.
    Lines,
    /// An invocation event (or something that is not one object per line): read whole.
    Whole,
}

fn shape(first: &[u8]) -> Shape {
    let Ok(members) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first) else {
        return Shape::Whole;
    };
    if ["Records", "records", "messages"].iter().any(|k| members.contains_key(*k)) {
        Shape::Whole
    } else {
        Shape::Lines
    }
}

/// Reads up to and including the first non-blank line.
fn first_line(input: &mut dyn BufRead) -> io::Result<(Vec<u8>, usize)> {
    let mut buf = Vec::new();
    loop {
        let start = buf.len();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok((buf, start));
        }
        if !buf[start..].iter().all(u8::is_ascii_whitespace) {
            return Ok((buf, start));
        }
    }
}

pub fn filter(a: &FilterArgs) -> i32 {
    let criteria = match read_text(&a.criteria) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut builder = Filter::builder(a.source).mismatch(a.mismatch).max_filters(a.max_filters);
    if a.strict {
        builder = builder.read_mode(eventsift::ReadMode::Strict);
    }
    let filter = match builder.build(&criteria) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}:{e:#}", a.criteria.display());
            eprintln!("  = kind: {}", e.kind());
            return 1;
        }
    };
    let path = a.input.as_deref();
    let mut input = match open(path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("eventsift: cannot read {}: {e}", name(path));
            return 2;
        }
    };
    let whole = if a.batch {
        true
    } else if a.records {
        false
    } else {
        let (first, at) = match first_line(&mut input) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("eventsift: cannot read {}: {e}", name(path));
                return 2;
            }
        };
        let whole = matches!(shape(&first[at..]), Shape::Whole);
        return if whole { filter_whole(a, &filter, input, first) } else { filter_lines(a, &filter, input, first) };
    };
    if whole {
        filter_whole(a, &filter, input, Vec::new())
    } else {
        filter_lines(a, &filter, input, Vec::new())
    }
}

/// An invocation event, read whole; JSON Lines after all if it is not one.
fn filter_whole(a: &FilterArgs, filter: &Filter, mut input: Box<dyn BufRead + Send>, mut text: Vec<u8>) -> i32 {
    let path = a.input.as_deref();
    if let Err(e) = input.read_to_end(&mut text) {
        eprintln!("eventsift: cannot read {}: {e}", name(path));
        return 2;
    }
    let display = a.input.as_ref().map_or("<stdin>".to_string(), |p| p.display().to_string());
    let str_text = match std::str::from_utf8(&text) {
        Ok(t) => t,
        Err(e) if a.batch => {
            eprintln!("eventsift: {display}: not valid UTF-8 (at byte {})", e.valid_up_to());
            return 1;
        }
        Err(_) => "",
    };
    if !str_text.trim().is_empty() {
        match filter.filter_batch(str_text) {
            Ok(batch) => {
                if a.invert {
                    eprintln!("eventsift: --invert applies to JSON Lines of records; the dropped records of an invocation event are listed on stderr");
                    return 2;
                }
                let mut out = io::stdout().lock();
                let _ = if a.count { writeln!(out, "{}", batch.kept) } else { writeln!(out, "{}", batch.event) };
                if !a.quiet {
                    for d in &batch.dropped {
                        eprintln!(
                            "dropped: record {} ({}): {}",
                            d.index,
                            d.id.as_deref().unwrap_or("no id"),
                            reason(&d.reason)
                        );
                    }
                    eprintln!("kept {}, dropped {}", batch.kept, batch.dropped.len());
                }
                let _ = out.flush();
                return 0;
            }
            Err(e) if a.batch || !looks_like_lines(str_text) => {
                eprintln!("{display}:{e:#}");
                eprintln!("  = kind: {}", e.kind());
                return 1;
            }
            Err(_) => {}
        }
    }
    filter_lines(a, filter, Box::new(io::empty()), text)
}

/// More than one non-blank line, each starting like a JSON object.
fn looks_like_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.next().is_some_and(|l| l.trim_start().starts_with('{'))
        && lines.next().is_some_and(|l| l.trim_start().starts_with('{'))
}

/// JSON Lines of records, streamed.
fn filter_lines(a: &FilterArgs, filter: &Filter, input: Box<dyn BufRead + Send>, first: Vec<u8>) -> i32 {
    let mut chunks = Chunks::spawn(input, first, is_stdin(a.input.as_deref()));
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let (mut kept, mut dropped, mut records) = (0usize, 0usize, 0usize);
    let mut scratch = eventsift::lambda::Scratch::default();
    let mut progress = Progress::new(a.quiet);
    let mut broken_pipe = false;
    let result = for_each_line(&mut chunks, |item| {
        let (n, line) = match item {
            Item::Line(n, line) => (n, line),
            Item::ChunkEnd => {
                broken_pipe = out.flush().is_err();
                return !broken_pipe;
            }
        };
        records += 1;
        let verdict = match std::str::from_utf8(line) {
            Ok(record) => filter.evaluate(record, &mut scratch).map(|v| v.keep).map_err(|e| e.to_string()),
            Err(e) => Err(format!("not valid UTF-8 (at byte {})", e.valid_up_to())),
        };
        let keep = match verdict {
            Ok(k) => k,
            Err(e) => {
                if !a.quiet {
                    eprintln!("dropped: line {n}: invalid record: {e}");
                }
                false
            }
        };
        if keep {
            kept += 1;
        } else {
            dropped += 1;
        }
        if keep != a.invert && !a.count && out.write_all(line).and_then(|_| out.write_all(b"\n")).is_err() {
            broken_pipe = true;
            return false;
        }
        progress.tick(records, kept, dropped);
        true
    });
    progress.done();
    if let Err(e) = result {
        eprintln!("eventsift: read error: {e}");
        return 2;
    }
    if broken_pipe {
        return 0;
    }
    if a.count {
        let _ = writeln!(out, "{}", if a.invert { dropped } else { kept });
    }
    let _ = out.flush();
    if !a.quiet {
        eprintln!("kept {kept}, dropped {dropped}");
    }
    0
}

/// Reads a rules file: an object of rule ids to patterns (objects or pattern strings), JSON or YAML.
fn load_rules(path: &Path, builder: &eventsift::PatternBuilder) -> Result<Machine, i32> {
    let text = read_text(path)?;
    let json = path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let root = if json { doc::parse_json(&text) } else { doc::parse_yaml(&text) };
    let root = match root {
        Ok(r) => r,
        Err(e) => {
            let (l, c) = doc::line_col(&text, e.offset);
            eprintln!("{}:{l}:{c}: {}", path.display(), e.message);
            return Err(2);
        }
    };
    if !root.is_map() {
        eprintln!("{}: a rules file is an object of rule ids to patterns", path.display());
        return Err(2);
    }
    let mut machine = Machine::builder();
    let mut failed = false;
    for (id, node) in root.members() {
        let mapped = match &node.kind {
            Kind::Scalar { .. } => doc::scalar_text(&text, node),
            _ => doc::to_json(&text, node, &mut Vec::new()),
        };
        match builder.build(&mapped.text) {
            Ok(p) => {
                machine.add_pattern(id.text.as_str(), p);
            }
            Err(e) => {
                let span = mapped.file_span(e.span().range());
                let (l, c) = doc::line_col(&text, span.start);
                eprintln!("{}:{l}:{c}: rule {}: {}", path.display(), id.text, e.reason());
                eprintln!("  = kind: {}", e.kind());
                failed = true;
            }
        }
    }
    if failed {
        return Err(1);
    }
    Ok(machine.build())
}

/// Matching threads by default: one per CPU, at most this many.
const MAX_THREADS: usize = 8;

/// What matching a chunk of events found.
struct Tally {
    events: usize,
    matched: usize,
    errors: usize,
    /// Per rule (with `--machine`): events it matched (or did not, with `--invert`).
    counts: Vec<usize>,
}

impl Tally {
    fn new(rules: usize) -> Tally {
        Tally { events: 0, matched: 0, errors: 0, counts: vec![0; rules] }
    }

    fn add(&mut self, other: &Tally) {
        self.events += other.events;
        self.matched += other.matched;
        self.errors += other.errors;
        self.counts.iter_mut().zip(&other.counts).for_each(|(a, b)| *a += b);
    }
}

/// The non-blank lines of a chunk (without their line ends).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
}

/// Matches one event and appends its output line (unless counting) to `text`.
#[allow(clippy::too_many_arguments)]
fn match_line(
    matcher: &Matcher,
    a: &MatchArgs,
    ids: &[&str],
    line: &[u8],
    scratch: &mut Option<eventsift::Scratch>,
    hit: &mut [bool],
    line_out: &mut String,
    text: &mut Vec<u8>,
    tally: &mut Tally,
) {
    tally.events += 1;
    match matcher {
        Matcher::One(p) => match p.matches_bytes(line) {
            Ok(verdict) => {
                let verdict = verdict != a.invert;
                tally.matched += usize::from(verdict);
                if !a.count {
                    let _ = writeln!(text, "{verdict}");
                }
            }
            Err(e) => {
                tally.errors += 1;
                if !a.count {
                    let _ = writeln!(text, "error: {e}");
                }
            }
        },
        Matcher::Many(m) => {
            let Some(scratch) = scratch.as_mut() else { return };
            let event = match std::str::from_utf8(line) {
                Ok(e) => e,
                Err(e) => {
                    tally.errors += 1;
                    if !a.count {
                        let _ = writeln!(text, "error: not valid UTF-8 (at byte {})", e.valid_up_to());
                    }
                    return;
                }
            };
            match m.matches(event, scratch) {
                Ok(found) => {
                    let mut any = false;
                    hit.iter_mut().for_each(|h| *h = false);
                    // Matches come in the order of `rule_ids`: one walk finds their indices.
                    let mut at = 0;
                    for id in found {
                        let p = id.as_str().as_ptr();
                        while at < ids.len() && ids[at].as_ptr() != p {
                            at += 1;
                        }
                        if at < ids.len() {
                            hit[at] = true;
                            any = true;
                        }
                    }
                    if any != a.invert {
                        tally.matched += 1;
                    }
                    for (i, &h) in hit.iter().enumerate() {
                        if h != a.invert {
                            tally.counts[i] += 1;
                        }
                    }
                    if !a.count {
                        line_out.clear();
                        line_out.push('[');
                        let mut first = true;
                        for (i, &h) in hit.iter().enumerate() {
                            if h != a.invert {
                                if !first {
                                    line_out.push(',');
                                }
                                first = false;
                                line_out.push_str(&serde_json::Value::from(ids[i]).to_string());
                            }
                        }
                        line_out.push(']');
                        let _ = writeln!(text, "{line_out}");
                    }
                }
                Err(e) => {
                    tally.errors += 1;
                    if !a.count {
                        let _ = writeln!(text, "error: {e}");
                    }
                }
            }
        }
    }
}

/// One pattern, or many named rules.
enum Matcher {
    One(Pattern),
    Many(Machine),
}

pub fn match_events(a: &MatchArgs) -> i32 {
    let builder = Pattern::builder().dialect(a.dialect.unwrap_or_default());
    let matcher = if let Some(rules) = &a.machine {
        match load_rules(rules, &builder) {
            Ok(m) => Matcher::Many(m),
            Err(c) => return c,
        }
    } else {
        let Some(pattern_path) = &a.pattern else { return 2 };
        let text = match read_text(pattern_path) {
            Ok(t) => t,
            Err(c) => return c,
        };
        match builder.build(&text) {
            Ok(p) => Matcher::One(p),
            Err(e) => {
                eprintln!("{}:{e:#}", pattern_path.display());
                eprintln!("  = kind: {}", e.kind());
                return 1;
            }
        }
    };
    // With --machine and two paths, the first positional is the events file.
    let events = if a.machine.is_some() { a.pattern.as_deref().or(a.events.as_deref()) } else { a.events.as_deref() };
    let input = match open(events) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("eventsift: cannot read {}: {e}", name(events));
            return 2;
        }
    };
    let pipe = is_stdin(events);
    let chunks = Chunks::spawn(input, Vec::new(), pipe);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut progress = Progress::new(false);
    let ids: Vec<&str> = match &matcher {
        Matcher::Many(m) => m.rule_ids().map(|r| r.as_str()).collect(),
        Matcher::One(_) => Vec::new(),
    };
    let threads = a
        .threads
        .map(usize::from)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(MAX_THREADS));
    let mut total = Tally::new(ids.len());
    let (result, closed) = thread::scope(|scope| {
        let matcher = &matcher;
        let ids = &ids;
        // Workers in a ring: chunk `k` goes to worker `k % threads`, and results are taken back in
        // the same order, so output keeps the input's order and at most `threads` chunks are out.
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (job_tx, job_rx) = sync_channel::<Chunk>(1);
                let (done_tx, done_rx) = sync_channel::<(Chunk, Vec<u8>, Tally)>(1);
                scope.spawn(move || {
                    let mut scratch = match matcher {
                        Matcher::Many(m) => Some(m.scratch()),
                        Matcher::One(_) => None,
                    };
                    let mut hit = vec![false; ids.len()];
                    let mut line_out = String::new();
                    while let Ok(chunk) = job_rx.recv() {
                        let mut text = Vec::new();
                        let mut tally = Tally::new(ids.len());
                        for line in lines(chunk.data()) {
                            match_line(
                                matcher,
                                a,
                                ids,
                                line,
                                &mut scratch,
                                &mut hit,
                                &mut line_out,
                                &mut text,
                                &mut tally,
                            );
                        }
                        if done_tx.send((chunk, text, tally)).is_err() {
                            return;
                        }
                    }
                });
                (job_tx, done_rx)
            })
            .collect();
        let mut chunks = chunks;
        let mut pending: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        let mut next = 0usize;
        let mut input_done = false;
        loop {
            // Hand out chunks while a worker is free and a chunk is ready; wait for input only when
            // nothing is out (a slow producer's records are then written as they come).
            if !input_done && pending.len() < threads {
                let chunk = if pending.is_empty() { chunks.next() } else { chunks.try_next() };
                match chunk {
                    Some(Ok(chunk)) => {
                        let w = next % threads;
                        next += 1;
                        if workers[w].0.send(chunk).is_err() {
                            return (Ok(()), false);
                        }
                        pending.push_back(w);
                        continue;
                    }
                    Some(Err(e)) => return (Err(e), false),
                    None if pending.is_empty() => {
                        input_done = !chunks.pending();
                        if input_done {
                            break;
                        }
                        continue;
                    }
                    None => input_done = !chunks.pending(),
                }
            }
            let Some(w) = pending.pop_front() else { break };
            let Ok((chunk, text, tally)) = workers[w].1.recv() else { break };
            chunks.recycle(chunk);
            total.add(&tally);
            if out.write_all(&text).is_err() || (pipe && out.flush().is_err()) {
                return (Ok(()), true);
            }
            progress.update(total.events, total.matched, total.events - total.matched);
        }
        (Ok(()), false)
    });
    let (matched, errors) = (total.matched, total.errors);
    if a.count && result.is_ok() && !closed {
        if let Matcher::Many(_) = &matcher {
            for (i, id) in ids.iter().enumerate() {
                let _ = writeln!(out, "{}\t{id}", total.counts[i]);
            }
        }
    }
    progress.done();
    if let Err(e) = result {
        eprintln!("eventsift: read error: {e}");
        return 2;
    }
    if closed {
        return 0; // the reader went away (e.g. `| head`)
    }
    if a.count {
        let _ = match matcher {
            Matcher::One(_) => writeln!(out, "{matched}"),
            Matcher::Many(_) => writeln!(out, "{matched}\t{}", if a.invert { "(no rule)" } else { "(any rule)" }),
        };
        if errors > 0 {
            eprintln!("{errors} invalid event{}", if errors == 1 { "" } else { "s" });
        }
    }
    let _ = out.flush();
    0
}
