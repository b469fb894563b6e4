//! The key lists are sorted by name with, the same on SQLite and PostgreSQL.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A name folded for sorting: lowercase, without accents, ligatures spelled out
/// ("Écologie" → "ecologie", "Œuvre" → "oeuvre").
///
/// Both databases compare it byte by byte (SQLite's default `BINARY` collation, the `"C"`
/// collation of the column on PostgreSQL), so a list comes in the same order on both, whatever
/// the PostgreSQL server's locale.
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        match c {
            'œ' => key.push_str("oe"),
            'æ' => key.push_str("ae"),
            'ß' => key.push_str("ss"),
            'ø' => key.push('o'),
            'đ' | 'ð' => key.push('d'),
            'ł' => key.push('l'),
            'þ' => key.push_str("th"),
            c => key.push(c),
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn case_accents_and_ligatures_fold() {
        assert_eq!(name_key("Écologie Œuvre"), "ecologie oeuvre");
        assert_eq!(name_key("ÉCHY"), name_key("échy"));
        assert_eq!(name_key("Straße"), "strasse");
        assert!(name_key("Énergie") < name_key("Fibre"));
        assert!(name_key("eau") < name_key("Énergie"));
    }
}
