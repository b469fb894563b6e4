//! Spreadsheets and line-delimited JSON in: each row an entity, its columns mapped to the
//! document's fields by their headings (French or English) or a mapping file, its references
//! written as slugs, names or aliases. The rows become a [`Document`], imported as one.

mod cells;
mod columns;
mod export;
mod names;
mod read;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use entity::EntityKind;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

pub use columns::Mapping;
pub use export::{export_csv, export_xlsx};

use super::document::Document;
use super::draft::{CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, TechnologyDraft};
use crate::error::{AppError, Problem, Result};
use columns::{Column, Ty};
use names::Names;

/// The formats a file is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// XLSX, ODS or XLS.
    Workbook,
    Ndjson,
}

impl Format {
    /// The format a file's extension says, if it is a table's.
    pub fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_string_lossy().to_lowercase();
        match extension.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" | "ods" | "xls" => Some(Format::Workbook),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// A file to read as rows.
pub struct Input {
    pub path: PathBuf,
    pub format: Format,
    /// The kind of its rows, when its name or its sheets' names do not say.
    pub kind: Option<EntityKind>,
    pub mapping: Mapping,
}

/// Where an entity of the document came from: its file, sheet and row, and which column filled each field.
struct Origin {
    /// `parc.xlsx, sheet "Entreprises", row 12` or `parc.ndjson, line 3`.
    at: String,
    /// Field name → heading, for tables; shared by a sheet's rows.
    columns: Arc<HashMap<&'static str, String>>,
}

/// The rows of a file as a document, and where each entity came from.
pub struct Tables {
    pub document: Document,
    origins: HashMap<EntityKind, Vec<Origin>>,
}

/// A JSON document: its problems' paths are its own.
impl From<Document> for Tables {
    fn from(document: Document) -> Tables {
        Tables { document, origins: HashMap::new() }
    }
}

impl Tables {
    /// The document's problems, each said at its file, sheet, row and column.
    pub fn locate(&self, problems: Vec<Problem>) -> Vec<Problem> {
        problems.into_iter().map(|problem| self.locate_one(problem)).collect()
    }

    fn locate_one(&self, problem: Problem) -> Problem {
        // `companies[3].technologies[1]`: the kind's list, the entity's index, the field.
        let Some((head, rest)) = problem.path.split_once('[') else { return problem };
        let Some(kind) = EntityKind::ALL.into_iter().find(|k| k.list_name() == head) else { return problem };
        let Some((index, rest)) = rest.split_once(']') else { return problem };
        let Some(origin) = index.parse::<usize>().ok().and_then(|i| self.origins.get(&kind)?.get(i)) else {
            return problem;
        };
        let field = rest.trim_start_matches('.').split(['.', '[']).next().unwrap_or_default();
        let path = match origin.columns.get(field) {
            Some(heading) => format!("{}, column {heading:?}", origin.at),
            None if field.is_empty() => origin.at.clone(),
            None => format!("{}, field {field}", origin.at),
        };
        Problem { path, message: problem.message }
    }
}

/// Reads a file's rows as a document: names resolved against `db` and the file itself, slugs
/// derived from names where a row has none. Every problem is listed, at its row and column.
pub async fn read(db: &DatabaseConnection, input: Input) -> Result<Tables> {
    let lang = match input.mapping.lang.as_deref() {
        Some(lang) => match cells::value(Ty::Enum(columns::Vocabulary::Lang), lang, None) {
            Ok(Some(Value::String(lang))) => lang,
            Ok(_) | Err(_) => {
                return Err(AppError::invalid(
                    "mapping",
                    format!("unknown language {lang:?} for the rows; write fr or en"),
                ));
            }
        },
        None => "fr".into(),
    };
    let (path, kind, format) = (input.path.clone(), input.kind, input.format);
    let read = tokio::task::spawn_blocking(move || match format {
        Format::Csv => read::csv(&path, kind).map(|(sheet, problems)| (vec![sheet], Vec::new(), problems)),
        Format::Workbook => read::workbook(&path, kind).map(|(sheets, problems)| (sheets, Vec::new(), problems)),
        Format::Ndjson => read::ndjson(&path, kind).map(|(lines, problems)| (Vec::new(), lines, problems)),
    });
    let (sheets, lines, mut problems) = read.await.map_err(|err| AppError::Internal(err.to_string()))??;
    let mut builder =
        Builder { tables: Tables { document: Document::default(), origins: HashMap::new() }, problems: Vec::new() };
    let at = read::shown(&input.path);
    for (number, kind, value) in lines {
        builder.push(kind, value, Origin { at: format!("{at}, line {number}"), columns: Arc::default() });
    }
    let mut names: HashMap<EntityKind, Names> = HashMap::new();
    for sheet in sheets {
        match columns::columns(sheet.kind, &sheet.headings, &input.mapping, &sheet.at) {
            Ok(columns) => builder.sheet(db, &sheet, &columns, &lang, &mut names).await?,
            Err(AppError::Invalid(more)) => problems.extend(more),
            Err(other) => return Err(other),
        }
    }
    problems.append(&mut builder.problems);
    if problems.is_empty() { Ok(builder.tables) } else { Err(AppError::Invalid(problems)) }
}

/// The document being built, and the problems found on the way.
struct Builder {
    tables: Tables,
    problems: Vec<Problem>,
}

impl Builder {
    /// Adds a sheet's rows: cells read, slugs derived, references resolved.
    async fn sheet(
        &mut self,
        db: &DatabaseConnection,
        sheet: &read::Sheet,
        columns: &[Column],
        lang: &str,
        names: &mut HashMap<EntityKind, Names>,
    ) -> Result<()> {
        let mut mapped: HashMap<&'static str, String> =
            columns.iter().filter_map(|c| Some((c.field?.name, c.heading.clone()))).collect();
        if let Some(heading) = mapped.get("latitude").cloned() {
            mapped.insert("location", heading);
        }
        let mapped = Arc::new(mapped);
        let mut rows = Vec::with_capacity(sheet.rows.len());
        for (number, cells) in &sheet.rows {
            let at = format!("{}, row {number}", sheet.at);
            let mut object = Map::new();
            for (column, cell) in columns.iter().zip(cells) {
                let Some(field) = column.field else { continue };
                match cells::value(field.ty, cell, column.separator.as_deref()) {
                    Ok(Some(value)) => {
                        object.insert(field.name.to_string(), value);
                    }
                    Ok(None) => {}
                    Err(message) => {
                        self.problems.push(Problem { path: format!("{at}, column {:?}", column.heading), message })
                    }
                }
            }
            object.entry("lang").or_insert_with(|| Value::String(lang.to_string()));
            match (object.remove("latitude"), object.remove("longitude")) {
                (Some(latitude), Some(longitude)) => {
                    object.insert("location".into(), serde_json::json!({"latitude": latitude, "longitude": longitude}));
                }
                (None, None) => {}
                _ => self.problems.push(Problem {
                    path: at.clone(),
                    message: "has a latitude or a longitude without the other".into(),
                }),
            }
            rows.push((at, object));
        }
        derive_slugs(&mut rows, &self.tables.document, sheet.kind);
        // The sheet's own rows may name each other (a technology's parent).
        let own = names_of(db, names, sheet.kind).await?;
        for (_, object) in &rows {
            if let (Some(Value::String(slug)), Some(Value::String(name))) = (object.get("slug"), object.get("name")) {
                let aliases: Vec<String> =
                    object.get("aliases").and_then(|a| serde_json::from_value(a.clone()).ok()).unwrap_or_default();
                own.add(slug.clone(), name.clone(), &aliases);
            }
        }
        for (at, mut object) in rows {
            for column in columns {
                let Some(field) = column.field else { continue };
                let Some(value) = object.get_mut(field.name) else { continue };
                let path = format!("{at}, column {:?}", column.heading);
                if let Err(message) = resolve(db, names, field.ty, value).await? {
                    self.problems.push(Problem { path, message });
                }
            }
            self.push(sheet.kind, Value::Object(object), Origin { at, columns: mapped.clone() });
        }
        Ok(())
    }

    /// Adds one entity as the document writes it, or the problem of its shape.
    fn push(&mut self, kind: EntityKind, value: Value, origin: Origin) {
        let document = &mut self.tables.document;
        let pushed = match kind {
            EntityKind::Organisation => parse::<OrganisationDraft>(value).map(|d| document.organisations.push(d)),
            EntityKind::Technology => parse::<TechnologyDraft>(value).map(|d| document.technologies.push(d)),
            EntityKind::Programme => parse::<ProgrammeDraft>(value).map(|d| document.programmes.push(d)),
            EntityKind::Company => parse::<CompanyDraft>(value).map(|d| document.companies.push(d)),
            EntityKind::Person => parse::<PersonDraft>(value).map(|d| document.people.push(d)),
            EntityKind::Event => parse::<EventDraft>(value).map(|d| document.events.push(d)),
        };
        match pushed {
            Ok(()) => self.tables.origins.entry(kind).or_default().push(origin),
            Err((field, message)) => {
                let path = match origin.columns.get(field.as_str()) {
                    Some(heading) => format!("{}, column {heading:?}", origin.at),
                    None if field.is_empty() || field == "." => origin.at,
                    None => format!("{}, field {field}", origin.at),
                };
                self.problems.push(Problem { path, message });
            }
        }
    }
}

/// A draft from its JSON, or the field at fault and what is wrong.
fn parse<T: serde::de::DeserializeOwned>(value: Value) -> std::result::Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().iter().next().map(|s| s.to_string()).unwrap_or_default();
        let message = err.into_inner().to_string();
        // Serde's words for a missing column.
        let message = match message.strip_prefix("missing field ") {
            Some(name) => format!("no column gives {name}, which every row needs"),
            None => message,
        };
        (field, message)
    })
}

/// The names of a kind, loaded from the database the first time a sheet needs them.
async fn names_of<'a>(
    db: &DatabaseConnection,
    names: &'a mut HashMap<EntityKind, Names>,
    kind: EntityKind,
) -> Result<&'a mut Names> {
    Ok(match names.entry(kind) {
        std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::hash_map::Entry::Vacant(entry) => entry.insert(Names::load(db, kind).await?),
    })
}

/// Replaces the names of a reference field's value by their slugs; `Err` says which one is unknown.
async fn resolve(
    db: &DatabaseConnection,
    names: &mut HashMap<EntityKind, Names>,
    ty: Ty,
    value: &mut Value,
) -> Result<std::result::Result<(), String>> {
    let (kind, texts): (EntityKind, Vec<&mut Value>) = match (ty, value) {
        (Ty::Ref(kind), value) => (kind, vec![value]),
        (Ty::RefList(kind), Value::Array(items)) => (kind, items.iter_mut().collect()),
        (Ty::Roles, Value::Array(roles)) => {
            (EntityKind::Organisation, roles.iter_mut().filter_map(|r| r.get_mut("organisation")).collect())
        }
        _ => return Ok(Ok(())),
    };
    let names = names_of(db, names, kind).await?;
    for text in texts {
        if let Value::String(name) = text {
            match names.resolve(kind, name) {
                Ok(slug) => *name = slug,
                Err(message) => return Ok(Err(message)),
            }
        }
    }
    Ok(Ok(()))
}

/// Gives each row without a slug one derived from its name (`Fibre optique` → `fibre-optique`),
/// the same on every import of the same rows; a name that two rows share takes the city
/// (or the row's rank among them) after it.
fn derive_slugs(rows: &mut [(String, Map<String, Value>)], document: &Document, kind: EntityKind) {
    let mut taken: std::collections::HashSet<String> = document.slugs_of(kind).collect();
    for (_, object) in rows.iter() {
        if let Some(Value::String(slug)) = object.get("slug") {
            taken.insert(slug.clone());
        }
    }
    for (_, object) in rows.iter_mut() {
        if object.contains_key("slug") {
            continue;
        }
        let Some(Value::String(name)) = object.get("name") else { continue };
        let base = slugify(name);
        let city = object.get("city").and_then(Value::as_str).map(slugify).filter(|c| !c.is_empty());
        let mut slug = base.clone();
        if taken.contains(&slug)
            && let Some(city) = city
        {
            slug = cut(&format!("{base}-{city}"));
        }
        let mut n = 2;
        while taken.contains(&slug) {
            slug = cut(&format!("{base}-{n}"));
            n += 1;
        }
        taken.insert(slug.clone());
        object.insert("slug".into(), Value::String(slug));
    }
}

/// A name as a slug: folded to lowercase ASCII letters and digits, hyphens between words.
pub fn slugify(name: &str) -> String {
    let folded = entity::name_key(name);
    let words: Vec<String> =
        folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    cut(&words.join("-"))
}

/// At most 80 characters, cut at a hyphen where it can be.
fn cut(slug: &str) -> String {
    if slug.len() <= 80 {
        return slug.to_string();
    }
    let head = &slug[..80];
    head.rsplit_once('-').map_or(head, |(before, _)| before).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_slugs_and_shared_names_take_the_city() {
        assert_eq!(slugify("Fibre optique"), "fibre-optique");
        assert_eq!(slugify("SP3H — Énergie & Co."), "sp3h-energie-co");
        assert!(slugify(&"mot ".repeat(40)).len() <= 80);
        let row = |name: &str, city: &str| {
            let mut object = Map::new();
            object.insert("name".into(), name.into());
            object.insert("city".into(), city.into());
            (String::new(), object)
        };
        let mut rows = vec![row("Acme", "Aix"), row("Acme", "Marseille"), row("Acme", "Marseille")];
        derive_slugs(&mut rows, &Document::default(), EntityKind::Company);
        let slugs: Vec<&str> = rows.iter().map(|(_, o)| o["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["acme", "acme-marseille", "acme-2"]);
    }
}
