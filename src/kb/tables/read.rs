//! Reading the files themselves: CSV (comma, semicolon or tab; UTF-8 with or without BOM, or
//! Windows-1252 as Excel writes it in France), XLSX, ODS and XLS workbooks, and NDJSON.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use encoding_rs_io::DecodeReaderBytesBuilder;
use entity::EntityKind;
use serde_json::Value;

use super::columns::kind_named;
use crate::error::{AppError, Problem, Result};

/// The rows of one sheet (or CSV file): its headings and, for each row, its number as a
/// spreadsheet shows it (the headings are row 1) and its cells as text.
pub struct Sheet {
    pub kind: EntityKind,
    /// Where it is, for problems: `parc.xlsx, sheet "Entreprises"` or `parc.csv`.
    pub at: String,
    pub headings: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// An NDJSON line: its number, its kind and the entity as the document writes it.
pub type Line = (usize, EntityKind, Value);

fn unreadable(path: &Path, err: impl std::fmt::Display) -> AppError {
    AppError::invalid("", format!("cannot read {}: {err}", path.display()))
}

/// The name a file is shown by in problems.
pub fn shown(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// A CSV file's rows, of `kind` or the kind its file name says.
pub fn csv(path: &Path, kind: Option<EntityKind>) -> Result<(Sheet, Vec<Problem>)> {
    let at = shown(path);
    let kind = kind
        .or_else(|| path.file_stem().and_then(|s| kind_named(&s.to_string_lossy())))
        .ok_or_else(|| AppError::invalid("kind", format!("{at}: say which kind its rows are, e.g. --kind company")))?;
    let file = File::open(path).map_err(|err| unreadable(path, err))?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let head = input.fill_buf().map_err(|err| unreadable(path, err))?;
    let delimiter = delimiter(head);
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut in the middle of a character at the end of the buffer: still UTF-8.
        Err(err) => err.error_len().is_none(),
    };
    let decoded: Box<dyn Read> = if utf8 {
        Box::new(input)
    } else {
        Box::new(DecodeReaderBytesBuilder::new().encoding(Some(encoding_rs::WINDOWS_1252)).build(input))
    };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(decoded);
    let headings = reader.headers().map_err(|err| unreadable(path, err))?;
    let headings: Vec<String> = headings.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        match record {
            Ok(record) => rows.push((number, record.iter().map(str::to_string).collect())),
            Err(err) => problems.push(Problem { path: format!("{at}, row {number}"), message: err.to_string() }),
        }
    }
    Ok((Sheet { kind, at, headings, rows }, problems))
}

/// The delimiter of a CSV file, from its first line: the most frequent of `,`, `;` and tab outside quotes.
fn delimiter(head: &[u8]) -> u8 {
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &byte in head.iter().take_while(|&&b| b != b'\n') {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(count) = counts.iter_mut().find(|(d, _)| *d == byte) {
            count.1 += 1;
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// The sheets of a workbook, in the order their kinds refer to each other: each sheet named
/// after its kind (`Entreprises`, `technologies`…), or the one sheet of `kind`. Empty sheets
/// are left out.
pub fn workbook(path: &Path, kind: Option<EntityKind>) -> Result<(Vec<Sheet>, Vec<Problem>)> {
    let file = shown(path);
    let mut book = open_workbook_auto(path).map_err(|err| unreadable(path, err))?;
    let names = book.sheet_names();
    let (mut sheets, mut problems) = (Vec::new(), Vec::new());
    for name in &names {
        let at = format!("{file}, sheet {name:?}");
        let range = book.worksheet_range(name).map_err(|err| unreadable(path, err))?;
        let mut rows = range.rows().enumerate().map(|(i, row)| (i + 1, row));
        let Some((_, headings)) = rows.find(|(_, row)| row.iter().any(|c| c != &Data::Empty)) else {
            continue;
        };
        let Some(kind) = kind_named(name).or(kind.filter(|_| names.len() == 1)) else {
            problems.push(Problem {
                path: at,
                message: "is not named after a kind (companies, technologies, programmes, organisations, people, \
                          events, or Entreprises…); rename it, or pass --kind for a workbook of one sheet"
                    .into(),
            });
            continue;
        };
        let start = range.start().map_or(0, |(row, _)| row as usize);
        let headings: Vec<String> = headings.iter().map(|c| text(c).trim().to_string()).collect();
        let mut cells = Vec::new();
        for (i, row) in rows {
            let number = start + i;
            let row: Vec<String> = row
                .iter()
                .zip(&headings)
                .map(|(cell, heading)| {
                    if let Data::Error(err) = cell {
                        problems.push(Problem {
                            path: format!("{at}, row {number}, column {heading:?}"),
                            message: format!("the cell holds the error {err}"),
                        });
                    }
                    text(cell)
                })
                .collect();
            if row.iter().any(|c| !c.trim().is_empty()) {
                cells.push((number, row));
            }
        }
        sheets.push(Sheet { kind, at, headings, rows: cells });
    }
    sheets.sort_by_key(|s| EntityKind::ALL.iter().position(|k| *k == s.kind));
    Ok((sheets, problems))
}

/// A workbook cell as text: whole numbers without a decimal point, days as `2022-06-22`.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.to_string(),
            None => dt.to_string(),
        },
    }
}

/// The entities of an NDJSON file, one a line, each with a `kind` field or of `kind`.
pub fn ndjson(path: &Path, kind: Option<EntityKind>) -> Result<(Vec<Line>, Vec<Problem>)> {
    let at = shown(path);
    let file = File::open(path).map_err(|err| unreadable(path, err))?;
    let (mut lines, mut problems) = (Vec::new(), Vec::new());
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let number = i + 1;
        let line = line.map_err(|err| unreadable(path, err))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut problem = |message: String| problems.push(Problem { path: format!("{at}, line {number}"), message });
        let mut value: Value = match serde_json::from_str(&line) {
            Ok(value @ Value::Object(_)) => value,
            Ok(_) => {
                problem("must be a JSON object".into());
                continue;
            }
            Err(err) => {
                problem(format!("malformed JSON: {err}"));
                continue;
            }
        };
        let named = value.as_object_mut().and_then(|o| o.remove("kind"));
        let line_kind = match named {
            Some(Value::String(name)) => {
                EntityKind::parse(&name.to_uppercase()).or_else(|| kind_named(&name)).ok_or_else(|| name.clone())
            }
            Some(other) => Err(other.to_string()),
            None => kind.ok_or_else(String::new),
        };
        match line_kind {
            Ok(kind) => lines.push((number, kind, value)),
            Err(name) if name.is_empty() => problem("says no kind: add \"kind\": \"company\", or pass --kind".into()),
            Err(name) => problem(format!("unknown kind {name}")),
        }
    }
    Ok((lines, problems))
}

#[cfg(test)]
mod tests {
    use super::delimiter;

    #[test]
    fn the_delimiter_is_read_from_the_first_line_outside_quotes() {
        assert_eq!(delimiter(b"Nom;Ville;\"Site, web\"\nA;B;C"), b';');
        assert_eq!(delimiter(b"name,city\n"), b',');
        assert_eq!(delimiter(b"name\tcity\n"), b'\t');
        assert_eq!(delimiter(b"name\n"), b',');
    }
}
