//! What an import did, kind by kind: what the CLI prints and the import mutation answers.

use entity::EntityKind;

/// What an import did to the entities of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCounts {
    /// Entities the document added.
    pub created: usize,
    /// Entities whose fields or relations the document changed.
    pub updated: usize,
    /// Entities the document holds as they already were: not written at all.
    pub unchanged: usize,
    /// Entities the document does not hold, deleted by a pruning import.
    pub deleted: usize,
}

/// What an import did, kind by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// What happened to organisations.
    pub organisations: KindCounts,
    /// What happened to technologies.
    pub technologies: KindCounts,
    /// What happened to programmes.
    pub programmes: KindCounts,
    /// What happened to companies.
    pub companies: KindCounts,
    /// What happened to people.
    pub people: KindCounts,
    /// What happened to events.
    pub events: KindCounts,
    /// Whether this was a dry run: the counts say what the import would do, and nothing was written.
    pub dry_run: bool,
    /// The entities written or deleted (`Company:12`…), for the audit line.
    #[serde(skip)]
    pub touched: Vec<String>,
    /// The positions `(after, last]` of the change-log entries it appended.
    #[serde(skip)]
    pub logged: Option<(i64, i64)>,
}

impl std::fmt::Display for ImportSummary {
    /// One line per kind: `companies: 1 created, 2 updated, 3 unchanged, 0 deleted`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = [
            ("organisations", self.organisations),
            ("technologies", self.technologies),
            ("programmes", self.programmes),
            ("companies", self.companies),
            ("people", self.people),
            ("events", self.events),
        ];
        for (name, c) in kinds {
            writeln!(
                f,
                "{name}: {} created, {} updated, {} unchanged, {} deleted",
                c.created, c.updated, c.unchanged, c.deleted
            )?;
        }
        Ok(())
    }
}

impl ImportSummary {
    /// Notes the positions of change-log entries appended, after those noted already.
    pub fn log(&mut self, appended: Option<(i64, i64)>) {
        self.logged = match (self.logged, appended) {
            (Some((after, _)), Some((_, last))) => Some((after, last)),
            (earlier, later) => later.or(earlier),
        };
    }

    /// The counts of one kind.
    pub fn counts_mut(&mut self, kind: EntityKind) -> &mut KindCounts {
        match kind {
            EntityKind::Organisation => &mut self.organisations,
            EntityKind::Technology => &mut self.technologies,
            EntityKind::Programme => &mut self.programmes,
            EntityKind::Company => &mut self.companies,
            EntityKind::Person => &mut self.people,
            EntityKind::Event => &mut self.events,
        }
    }
}
