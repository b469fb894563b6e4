//! References by name: a spreadsheet names technologies, programmes and organisations as people
//! write them ("Fibre optique"), and the import finds their slugs, or says what it meant.

use std::collections::HashMap;

use entity::{EntityKind, Shared, name_key};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};

use crate::error::Result;

/// The entities of one kind by slug, name and alias, folded (case and accents ignored).
#[derive(Debug, Default)]
pub struct Names {
    /// Folded slug, name or alias → the slugs it names (more than one: ambiguous).
    by_key: HashMap<String, Vec<usize>>,
    /// Slug and display name of each entity.
    entities: Vec<(String, String)>,
    /// Slug → index in `entities`.
    slugs: HashMap<String, usize>,
}

impl Names {
    /// The names of every entity of `kind` that `db` holds.
    pub async fn load(db: &impl ConnectionTrait, kind: EntityKind) -> Result<Names> {
        let query = Query::select()
            .columns([Shared::Slug, Shared::Name, Shared::Aliases])
            .from(Alias::new(kind.table()))
            .to_owned();
        let mut names = Names::default();
        for row in db.query_all(&query).await? {
            let aliases: serde_json::Value = row.try_get("", "aliases")?;
            let aliases: Vec<String> = serde_json::from_value(aliases).unwrap_or_default();
            names.add(row.try_get("", "slug")?, row.try_get("", "name")?, &aliases);
        }
        Ok(names)
    }

    /// Adds (or renames) an entity.
    pub fn add(&mut self, slug: String, name: String, aliases: &[String]) {
        let i = match self.slugs.get(&slug) {
            Some(&i) => i,
            None => {
                self.entities.push((slug.clone(), name.clone()));
                self.slugs.insert(slug.clone(), self.entities.len() - 1);
                self.entities.len() - 1
            }
        };
        self.entities[i].1 = name.clone();
        for key in [slug.as_str(), name.as_str()].into_iter().chain(aliases.iter().map(String::as_str)) {
            let entry = self.by_key.entry(name_key(key.trim())).or_default();
            if !entry.contains(&i) {
                entry.push(i);
            }
        }
    }

    /// The slug `text` names: a slug as it is, else the one entity whose name or alias it is.
    /// Otherwise what is wrong, with the nearest names when it looks misspelt.
    pub fn resolve(&self, kind: EntityKind, text: &str) -> std::result::Result<String, String> {
        if self.slugs.contains_key(text) {
            return Ok(text.to_string());
        }
        let noun = kind.as_str().to_lowercase();
        let key = name_key(text.trim());
        match self.by_key.get(&key).map(Vec::as_slice) {
            Some([one]) => Ok(self.entities[*one].0.clone()),
            Some(several) => Err(format!(
                "{noun} {text:?} is ambiguous: it names {}; write the slug",
                several.iter().map(|&i| self.shown(i)).collect::<Vec<_>>().join(" and ")
            )),
            None => Err(match self.nearest(&key) {
                Some(i) => format!("unknown {noun} {text:?} — did you mean {}?", self.shown(i)),
                None => format!("unknown {noun} {text:?}"),
            }),
        }
    }

    /// `"Fibre optique" (optical-fibre)`.
    fn shown(&self, i: usize) -> String {
        let (slug, name) = &self.entities[i];
        format!("{name:?} ({slug})")
    }

    /// The entity whose slug, name or alias is nearest to `key` by edits, if near enough to be a typo.
    fn nearest(&self, key: &str) -> Option<usize> {
        let allowed = (key.chars().count() / 4).clamp(1, 3);
        self.by_key
            .iter()
            .filter_map(|(candidate, entities)| {
                let distance = strsim::levenshtein(key, candidate);
                (distance <= allowed).then_some((distance, candidate, entities[0]))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
            .map(|(_, _, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut names = Names::default();
        names.add("optical-fibre".into(), "Fibre optique".into(), &["fiber optics".into()]);
        names.add("fuel-analysis".into(), "Analyse de carburant".into(), &[]);
        names
    }

    #[test]
    fn slugs_names_and_aliases_resolve_whatever_the_case_and_accents() {
        let names = names();
        let tech = EntityKind::Technology;
        assert_eq!(names.resolve(tech, "optical-fibre"), Ok("optical-fibre".into()));
        assert_eq!(names.resolve(tech, "FIBRE OPTIQUE"), Ok("optical-fibre".into()));
        assert_eq!(names.resolve(tech, "Fiber optics"), Ok("optical-fibre".into()));
        assert_eq!(names.resolve(tech, "analyse de carburant"), Ok("fuel-analysis".into()));
    }

    #[test]
    fn a_misspelt_name_gets_a_suggestion_and_a_shared_one_is_ambiguous() {
        let mut names = names();
        assert_eq!(
            names.resolve(EntityKind::Technology, "fibre optiqe"),
            Err("unknown technology \"fibre optiqe\" — did you mean \"Fibre optique\" (optical-fibre)?".into())
        );
        assert_eq!(names.resolve(EntityKind::Technology, "hydrogène"), Err("unknown technology \"hydrogène\"".into()));
        names.add("fibre-2".into(), "Fibre optique".into(), &[]);
        let error = names.resolve(EntityKind::Technology, "fibre optique").unwrap_err();
        assert!(error.contains("is ambiguous"), "{error}");
    }
}
