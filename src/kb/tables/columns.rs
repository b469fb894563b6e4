//! Which field of the document each column of a spreadsheet fills: the fields of every kind, the
//! French and English headings people write for them, and the mapping file that overrides them.

use std::collections::HashMap;
use std::path::Path;

use entity::EntityKind;
use serde::Deserialize;

use crate::error::{AppError, Problem, Result};

/// How a cell of a field is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Text on one line, trimmed.
    Line,
    /// Free text, kept as written.
    Text,
    /// A whole number.
    Int,
    /// A latitude or longitude in degrees (`43.49`, or `43,49` as French spreadsheets write it).
    Coordinate,
    /// A day: `2022-06-22`, `22/06/2022` or a spreadsheet date.
    Date,
    /// One value of an enumeration.
    Enum(Vocabulary),
    /// Values of an enumeration, separated.
    EnumList(Vocabulary),
    /// Texts, separated.
    List,
    /// One entity of a kind, by slug, name or alias.
    Ref(EntityKind),
    /// Entities of a kind, by slug, name or alias, separated.
    RefList(EntityKind),
    /// Roles, separated: `title @ organisation`, the organisation by slug, name or alias.
    Roles,
    /// Sources, separated: a URL or a title each; or the document's JSON.
    Sources,
    /// Only the document's JSON (translations, a mentor offer).
    Json,
}

/// The enumerations a cell can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vocabulary {
    Lang,
    Stage,
    Domain,
    OrganisationKind,
    ProgrammeKind,
    Topic,
}

impl Vocabulary {
    pub const ALL: [Vocabulary; 6] = [
        Vocabulary::Lang,
        Vocabulary::Stage,
        Vocabulary::Domain,
        Vocabulary::OrganisationKind,
        Vocabulary::ProgrammeKind,
        Vocabulary::Topic,
    ];
}

/// A field of the document, and the headings that name it besides its own name.
#[derive(Debug)]
pub struct Field {
    /// As the JSON document spells it.
    pub name: &'static str,
    pub ty: Ty,
    pub headings: &'static [&'static str],
}

const fn field(name: &'static str, ty: Ty, headings: &'static [&'static str]) -> Field {
    Field { name, ty, headings }
}

/// The fields every kind has, in the order an export writes them.
const SHARED_HEAD: [Field; 2] = [
    field("slug", Ty::Line, &["identifiant", "id", "code"]),
    field(
        "name",
        Ty::Line,
        &["nom", "raison sociale", "dénomination", "denomination", "intitulé", "titre", "title", "libellé"],
    ),
];
const SHARED_TAIL: [Field; 6] = [
    field("description", Ty::Text, &["présentation", "presentation", "résumé", "summary", "descriptif"]),
    field("lang", Ty::Enum(Vocabulary::Lang), &["langue", "language"]),
    field("website", Ty::Line, &["site web", "site internet", "web", "url", "site web url", "web site"]),
    field("aliases", Ty::List, &["alias", "autres noms", "other names", "sigle", "acronyme", "acronym"]),
    field("sources", Ty::Sources, &["source"]),
    field("translations", Ty::Json, &["traductions"]),
];

const CITY: Field = field("city", Ty::Line, &["ville", "commune", "localité", "localite", "town"]);
/// Read into the entity's `location`.
const LATITUDE: Field = field("latitude", Ty::Coordinate, &["lat"]);
const LONGITUDE: Field = field("longitude", Ty::Coordinate, &["lon", "lng", "long"]);
const PLACES: Field = field("places", Ty::Json, &["lieux", "établissements", "etablissements"]);

const ORGANISATION: &[Field] =
    &[field("kind", Ty::Enum(Vocabulary::OrganisationKind), &["type", "nature"]), CITY, LATITUDE, LONGITUDE, PLACES];

const TECHNOLOGY: &[Field] = &[
    field("domain", Ty::Enum(Vocabulary::Domain), &["domaine", "filière", "filiere", "secteur"]),
    field("parent", Ty::Ref(EntityKind::Technology), &["technologie parente", "parent technology", "famille"]),
];

const PROGRAMME: &[Field] = &[
    field("kind", Ty::Enum(Vocabulary::ProgrammeKind), &["type", "nature"]),
    field("operator", Ty::Ref(EntityKind::Organisation), &["opérateur", "operateur", "porté par", "porteur", "run by"]),
    field("eligibleStages", Ty::EnumList(Vocabulary::Stage), &["stades éligibles", "eligible stages", "pour qui"]),
    field("eligibleDomains", Ty::EnumList(Vocabulary::Domain), &["domaines éligibles", "eligible domains"]),
    field("eligibleSites", Ty::RefList(EntityKind::Organisation), &["sites éligibles", "eligible sites"]),
    field(
        "requiredMemberships",
        Ty::RefList(EntityKind::Organisation),
        &["adhésions requises", "required memberships"],
    ),
    field("startsOn", Ty::Date, &["début", "date de début", "start", "start date", "starts"]),
    field("endsOn", Ty::Date, &["fin", "date de fin", "end", "end date", "ends"]),
];

const COMPANY: &[Field] = &[
    field(
        "stage",
        Ty::Enum(Vocabulary::Stage),
        &["stade", "taille", "catégorie", "categorie", "catégorie d'entreprise", "size"],
    ),
    CITY,
    field("foundedYear", Ty::Int, &["année de création", "annee de creation", "création", "fondée en", "founded"]),
    field("employees", Ty::Int, &["effectif", "effectifs", "salariés", "nombre de salariés", "headcount", "staff"]),
    field("site", Ty::Ref(EntityKind::Organisation), &["hébergée par", "hébergement", "host", "host site", "lieu"]),
    field(
        "technologies",
        Ty::RefList(EntityKind::Technology),
        &["technologie", "technos", "domaines technologiques", "technology"],
    ),
    field(
        "programmes",
        Ty::RefList(EntityKind::Programme),
        &["programme", "programs", "program", "dispositifs", "dispositif", "accompagnements", "accompagnement"],
    ),
    field(
        "memberships",
        Ty::RefList(EntityKind::Organisation),
        &["adhésions", "adhesions", "membre de", "réseaux", "reseaux", "clusters", "member of", "networks"],
    ),
    field("needs", Ty::EnumList(Vocabulary::Topic), &["besoins", "besoin", "besoins d'accompagnement"]),
    LATITUDE,
    LONGITUDE,
    PLACES,
];

const PERSON: &[Field] = &[
    field("roles", Ty::Roles, &["rôles", "role", "rôle", "fonction", "fonctions", "positions"]),
    field("mentor", Ty::Json, &["mentorat", "offre de mentorat"]),
];

const EVENT: &[Field] = &[
    field("date", Ty::Date, &["jour", "day", "date de début", "start date"]),
    field("endDate", Ty::Date, &["date de fin", "fin", "end"]),
    field("site", Ty::Ref(EntityKind::Organisation), &["lieu", "venue", "place"]),
    field("organisers", Ty::RefList(EntityKind::Organisation), &["organisateurs", "organisateur", "organizers"]),
    field("companies", Ty::RefList(EntityKind::Company), &["entreprises", "sociétés", "societes"]),
    field("people", Ty::RefList(EntityKind::Person), &["personnes", "participants", "participants (personnes)"]),
    field("organisations", Ty::RefList(EntityKind::Organisation), &["structures", "organisations participantes"]),
];

/// The fields of a kind, in the order an export writes them.
pub fn fields(kind: EntityKind) -> impl Iterator<Item = &'static Field> {
    let own = match kind {
        EntityKind::Organisation => ORGANISATION,
        EntityKind::Technology => TECHNOLOGY,
        EntityKind::Programme => PROGRAMME,
        EntityKind::Company => COMPANY,
        EntityKind::Person => PERSON,
        EntityKind::Event => EVENT,
    };
    SHARED_HEAD.iter().chain(own).chain(SHARED_TAIL.iter())
}

/// A heading folded for comparison: lowercase, without accents, letters and digits only
/// ("Site Web" and "site-web" and "siteWeb" are one heading).
pub fn heading_key(heading: &str) -> String {
    entity::name_key(heading).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The field a heading names for a kind, by the field's own name or one of its headings.
fn field_named(kind: EntityKind, heading: &str) -> Option<&'static Field> {
    let key = heading_key(heading);
    fields(kind).find(|f| heading_key(f.name) == key || f.headings.iter().any(|h| heading_key(h) == key))
}

/// The kind a sheet's or file's name stands for: `companies`, `Entreprises`, `technologies.csv`…
pub fn kind_named(name: &str) -> Option<EntityKind> {
    let key = heading_key(name);
    let names: &[(EntityKind, &[&str])] = &[
        (EntityKind::Organisation, &["organisations", "organisation", "organizations", "structures"]),
        (EntityKind::Technology, &["technologies", "technology", "technologie"]),
        (EntityKind::Programme, &["programmes", "programme", "programs", "dispositifs"]),
        (EntityKind::Company, &["companies", "company", "entreprises", "entreprise", "societes", "sociétés"]),
        (EntityKind::Person, &["people", "persons", "person", "personnes", "personne"]),
        (EntityKind::Event, &["events", "event", "événements", "evenements", "évènements"]),
    ];
    names.iter().find(|(_, words)| words.iter().any(|w| heading_key(w) == key)).map(|(kind, _)| *kind)
}

/// What a column holds: a field (and how its lists are separated), or nothing to import.
#[derive(Clone, Debug)]
pub struct Column {
    pub heading: String,
    pub field: Option<&'static Field>,
    /// Separators of a list cell; the default ones when `None`.
    pub separator: Option<String>,
}

/// A mapping file (`--mapping mapping.toml`): the kind and language of the rows, and which
/// column fills which field, for headings the import does not know.
///
/// ```toml
/// kind = "company"
/// lang = "fr"
/// [columns]
/// "Raison sociale" = "name"
/// "Technos" = { field = "technologies", separator = "/" }
/// "Téléphone" = "ignore"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    kind: Option<String>,
    pub lang: Option<String>,
    #[serde(default)]
    columns: HashMap<String, Mapped>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Mapped {
    Field(String),
    WithSeparator { field: String, separator: Option<String> },
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn read(path: &Path) -> Result<Mapping> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|err| AppError::invalid("mapping", format!("cannot read {shown}: {err}")))?;
        let mapping: Mapping =
            toml::from_str(&text).map_err(|err| AppError::invalid("mapping", format!("{shown}: {}", err.message())))?;
        if let Some(kind) = mapping.kind.as_deref()
            && kind_named(kind).is_none()
        {
            let message = format!(
                "{shown}: unknown kind {kind:?}; write company, technology, programme, organisation, person or event"
            );
            return Err(AppError::invalid("mapping", message));
        }
        Ok(mapping)
    }

    /// The kind the mapping names for the rows.
    pub fn kind(&self) -> Option<EntityKind> {
        self.kind.as_deref().and_then(kind_named)
    }

    /// The mapping of a heading: `Some(None)` to leave the column out, `None` when unmapped.
    fn of(&self, heading: &str) -> Option<(Option<&str>, Option<&str>)> {
        let key = heading_key(heading);
        let (_, mapped) = self.columns.iter().find(|(h, _)| heading_key(h) == key)?;
        Some(match mapped {
            Mapped::Field(field) => (Some(field.as_str()), None),
            Mapped::WithSeparator { field, separator } => (Some(field.as_str()), separator.as_deref()),
        })
    }
}

/// The columns of a sheet of `kind` under `headings`: each heading mapped by the mapping file,
/// else by its name. Problems: a field named twice, a mapping to a field the kind lacks, no
/// column for the name.
pub fn columns(kind: EntityKind, headings: &[String], mapping: &Mapping, at: &str) -> Result<Vec<Column>> {
    let mut problems = Vec::new();
    let mut columns: Vec<Column> = Vec::with_capacity(headings.len());
    for heading in headings {
        let (field, separator) = match mapping.of(heading) {
            Some((Some(name), separator)) if heading_key(name) == "ignore" => (None, separator),
            Some((Some(name), separator)) => match field_named(kind, name) {
                Some(field) => (Some(field), separator),
                None => {
                    problems.push(Problem {
                        path: format!("{at}, column {heading:?}"),
                        message: format!("the mapping names {name:?}, which is not a field of {}", kind.list_name()),
                    });
                    (None, None)
                }
            },
            _ => (field_named(kind, heading), None),
        };
        if let Some(field) = field
            && let Some(first) = columns.iter().find(|c| c.field.is_some_and(|f| f.name == field.name))
        {
            problems.push(Problem {
                path: format!("{at}, column {heading:?}"),
                message: format!(
                    "fills {} as column {:?} does; keep one, or map one to \"ignore\"",
                    field.name, first.heading
                ),
            });
        }
        columns.push(Column { heading: heading.clone(), field, separator: separator.map(str::to_string) });
    }
    if !columns.iter().any(|c| c.field.is_some_and(|f| f.name == "name")) && problems.is_empty() {
        problems.push(Problem {
            path: at.to_string(),
            message: format!(
                "no column holds the name (headings: {}); name one \"Nom\" or \"name\", or map it in a mapping file",
                headings.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if problems.is_empty() { Ok(columns) } else { Err(AppError::Invalid(problems)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_headings_name_the_fields() {
        let headings: Vec<String> =
            ["Raison sociale", "Ville", "Site web", "Stade", "Technologies", "Téléphone", "foundedYear"]
                .map(String::from)
                .to_vec();
        let columns = columns(EntityKind::Company, &headings, &Mapping::default(), "parc.csv").unwrap();
        let fields: Vec<Option<&str>> = columns.iter().map(|c| c.field.map(|f| f.name)).collect();
        assert_eq!(
            fields,
            [
                Some("name"),
                Some("city"),
                Some("website"),
                Some("stage"),
                Some("technologies"),
                None,
                Some("foundedYear")
            ]
        );
    }

    #[test]
    fn a_mapping_overrides_headings_and_a_field_named_twice_is_a_problem() {
        let mapping: Mapping = toml::from_str(
            "[columns]\n\"Société\" = \"name\"\n\"Technos\" = { field = \"technologies\", separator = \"/\" }\n\
             \"Nom\" = \"ignore\"\n",
        )
        .unwrap();
        let headings: Vec<String> = ["Société", "Nom", "Technos"].map(String::from).to_vec();
        let columns = columns(EntityKind::Company, &headings, &mapping, "x.csv").unwrap();
        assert_eq!(columns[0].field.map(|f| f.name), Some("name"));
        assert!(columns[1].field.is_none());
        assert_eq!(columns[2].separator.as_deref(), Some("/"));

        let twice: Vec<String> = ["Nom", "Raison sociale"].map(String::from).to_vec();
        let Err(AppError::Invalid(problems)) =
            super::columns(EntityKind::Company, &twice, &Mapping::default(), "x.csv")
        else {
            panic!("a field filled twice must be refused");
        };
        assert_eq!(problems[0].path, "x.csv, column \"Raison sociale\"");
    }

    #[test]
    fn sheets_are_named_after_kinds_in_either_language() {
        assert_eq!(kind_named("Entreprises"), Some(EntityKind::Company));
        assert_eq!(kind_named("technologies"), Some(EntityKind::Technology));
        assert_eq!(kind_named("Événements"), Some(EntityKind::Event));
        assert_eq!(kind_named("Feuil1"), None);
    }
}
