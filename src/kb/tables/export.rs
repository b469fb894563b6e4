//! Writing the knowledge base as spreadsheets that the import reads back: one column per field,
//! headed by the document's field names, lists joined with `; ` (as JSON when an item holds a
//! separator), structured fields (sources, translations, roles, a mentor offer) as JSON.

use std::io::Write;
use std::path::Path;

use entity::EntityKind;
use rust_xlsxwriter::Workbook;
use serde_json::Value;

use super::columns::{Ty, fields};
use crate::error::{AppError, Result};
use crate::kb::document::Document;

/// The headings and rows of one kind.
fn table(document: &Document, kind: EntityKind) -> Result<(Vec<&'static str>, Vec<Vec<String>>)> {
    let headings: Vec<&'static str> = fields(kind).map(|f| f.name).collect();
    let entities = match kind {
        EntityKind::Organisation => serde_json::to_value(&document.organisations),
        EntityKind::Technology => serde_json::to_value(&document.technologies),
        EntityKind::Programme => serde_json::to_value(&document.programmes),
        EntityKind::Company => serde_json::to_value(&document.companies),
        EntityKind::Person => serde_json::to_value(&document.people),
        EntityKind::Event => serde_json::to_value(&document.events),
    }
    .map_err(|err| AppError::Internal(err.to_string()))?;
    let rows = entities
        .as_array()
        .into_iter()
        .flatten()
        .map(|entity| {
            fields(kind)
                .map(|field| {
                    // Latitude and longitude are the location's.
                    let value = entity.get(field.name).or_else(|| entity.get("location")?.get(field.name));
                    value.map_or_else(String::new, |v| cell(field.ty, v))
                })
                .collect()
        })
        .collect();
    Ok((headings, rows))
}

/// A field's value as the import reads it.
fn cell(ty: Ty, value: &Value) -> String {
    match (ty, value) {
        (_, Value::Null) => String::new(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (Ty::Roles, Value::Array(roles)) if roles.iter().all(is_short_role) => roles
            .iter()
            .map(|r| {
                format!(
                    "{} @ {}",
                    r["title"].as_str().unwrap_or_default(),
                    r["organisation"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        (Ty::List | Ty::RefList(_) | Ty::EnumList(_), Value::Array(items)) if items.iter().all(is_plain_item) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; ")
        }
        (_, Value::Array(items)) if items.is_empty() => String::new(),
        (_, other) => other.to_string(),
    }
}

/// An item that the default separators do not split.
fn is_plain_item(item: &Value) -> bool {
    item.as_str()
        .is_some_and(|s| !s.is_empty() && s.trim() == s && !s.starts_with('[') && !s.contains([';', '|', '\n', ',']))
}

/// A role with only a title and an organisation, neither holding a separator or `@`.
fn is_short_role(role: &Value) -> bool {
    let Some(object) = role.as_object() else { return false };
    object.len() == 2
        && ["title", "organisation"]
            .iter()
            .all(|k| object.get(*k).is_some_and(|v| is_plain_item(v) && !v.as_str().unwrap_or_default().contains('@')))
}

/// Writes the entities of `kind` as CSV (comma-separated, UTF-8, with a heading row).
pub fn export_csv(document: &Document, kind: EntityKind, out: impl Write) -> Result<()> {
    let (headings, rows) = table(document, kind)?;
    let mut writer = csv::Writer::from_writer(out);
    let failed = |err: csv::Error| AppError::Internal(format!("writing CSV: {err}"));
    writer.write_record(&headings).map_err(failed)?;
    for row in rows {
        writer.write_record(&row).map_err(failed)?;
    }
    writer.flush().map_err(|err| AppError::Internal(format!("writing CSV: {err}")))
}

/// Writes an XLSX workbook at `path` with one sheet per kind, named after it (`companies`…);
/// kinds without entities are left out unless asked for.
pub fn export_xlsx(document: &Document, kinds: &[EntityKind], path: &Path) -> Result<()> {
    let failed = |err: rust_xlsxwriter::XlsxError| AppError::Internal(format!("writing {}: {err}", path.display()));
    let mut workbook = Workbook::new();
    for &kind in kinds {
        let (headings, rows) = table(document, kind)?;
        if rows.is_empty() && kinds.len() > 1 {
            continue;
        }
        let sheet = workbook.add_worksheet();
        sheet.set_name(kind.list_name()).map_err(failed)?;
        for (col, heading) in headings.iter().enumerate() {
            sheet.write_string(0, col as u16, *heading).map_err(failed)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                sheet.write_string(r as u32 + 1, col as u16, value).map_err(failed)?;
            }
        }
    }
    workbook.save(path).map_err(failed)
}
