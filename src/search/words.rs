//! Reading a query: folded words, hyphenated words kept whole, quoted phrases, and whether the
//! last word may be unfinished.

use super::analyzer::{Analyzers, Token};

/// Only so much of a query is read: longer input is cut, never refused.
const MAX_QUERY_CHARS: usize = 1_000;
pub const MAX_WORDS: usize = 16;
const MAX_PHRASES: usize = 4;
/// Characters that join the parts of a hyphenated word.
const HYPHENS: [&str; 4] = ["-", "\u{2010}", "\u{2011}", "\u{2012}"];

/// What the words of a query mean once analyzed.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Parsed {
    pub words: Vec<Word>,
    /// Quoted phrases, as folded words.
    pub phrases: Vec<Vec<String>>,
    /// Whether the last word may be unfinished (search-as-you-type).
    pub prefix: bool,
}

#[derive(Debug, PartialEq)]
pub(super) struct Word {
    /// The folded word; a hyphenated word joined ("start-up" is "startup").
    pub raw: String,
    /// The parts of a hyphenated word, empty otherwise.
    pub parts: Vec<String>,
    pub french: Option<String>,
    pub english: Option<String>,
}

/// The folded, lower-cased form of a name: the key of the stable listing order and of city filters.
pub fn sort_name(name: &str) -> String {
    let words: Vec<String> = Analyzers::with(|a| a.raw_tokens(name)).into_iter().map(|t| t.text).collect();
    words.join(" ")
}

/// The hyphenated words of a text, joined ("start-up" gives "startup"), so that they also match
/// written as one word.
pub fn joined_compounds(text: &str) -> Vec<String> {
    // Most texts have no hyphen at all: no need to analyse them. The bytes are looked for first:
    // the hyphens other than `-` begin with 0xE2 in UTF-8, and a search for one byte is the fastest.
    let bytes = text.as_bytes();
    let hyphenated =
        bytes.contains(&b'-') || (bytes.contains(&0xE2) && HYPHENS[1..].iter().any(|hyphen| text.contains(hyphen)));
    if !hyphenated {
        return Vec::new();
    }
    let tokens = Analyzers::with(|a| a.raw_tokens(text));
    compounds(text, &tokens).into_iter().filter(|group| group.len() > 1).map(|group| group.concat()).collect()
}

/// Groups the tokens of `text` into words, the parts of a hyphenated word together.
fn compounds(text: &str, tokens: &[Token]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let hyphenated = i > 0 && HYPHENS.contains(&&text[tokens[i - 1].to..token.from]);
        match groups.last_mut() {
            Some(group) if hyphenated => group.push(token.text.clone()),
            _ => groups.push(vec![token.text.clone()]),
        }
    }
    groups
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS_FR: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const DAYS_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// The days of an event in words, in French and English ("mercredi 22 juin 2022", "Wednesday
/// 22 June 2022"), so that "juin 2022" or "June 2022" finds it.
pub fn date_words(date: chrono::NaiveDate, end: Option<chrono::NaiveDate>) -> Vec<String> {
    use chrono::Datelike;
    let mut words = Vec::new();
    for day in std::iter::once(date).chain(end.filter(|end| *end != date)) {
        let (weekday, month) = (day.weekday().num_days_from_monday() as usize, day.month0() as usize);
        let (d, y) = (day.day(), day.year());
        words.push(format!("{} {d} {} {y}", DAYS_FR[weekday], MONTHS_FR[month]));
        words.push(format!("{} {d} {} {y}", DAYS_EN[weekday], MONTHS_EN[month]));
    }
    words
}

pub(super) fn parse(text: &str, analyzers: &mut Analyzers) -> Parsed {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let quotes = text.matches('"').count();
    let mut parsed = Parsed::default();
    let mut last_free_end = 0;
    let mut last_compound = false;
    for (i, segment) in text.split('"').enumerate() {
        // Odd segments sit between quotes; an unbalanced last quote counts as plain text.
        let quoted = i % 2 == 1 && i < quotes;
        let tokens = analyzers.raw_tokens(segment);
        if quoted {
            let words: Vec<String> = tokens.into_iter().map(|t| t.text).collect();
            if words.len() > 1 {
                parsed.phrases.push(words);
            } else if let Some(word) = words.into_iter().next() {
                push_word(&mut parsed, vec![word], analyzers);
            }
        } else {
            for group in compounds(segment, &tokens) {
                last_compound = group.len() > 1;
                push_word(&mut parsed, group, analyzers);
            }
            last_free_end = parsed.words.len();
        }
    }
    let ends_open = text.chars().last().is_some_and(|c| c.is_alphanumeric());
    // A fragment of a hyphenated word ("up" of "start-up") is never completed.
    parsed.prefix = ends_open && !last_compound && last_free_end == parsed.words.len() && !parsed.words.is_empty();
    parsed.words.truncate(MAX_WORDS);
    parsed.phrases.truncate(MAX_PHRASES);
    parsed
}

fn push_word(parsed: &mut Parsed, group: Vec<String>, analyzers: &mut Analyzers) {
    let parts: Vec<String> = group.into_iter().filter(|p| !p.is_empty()).collect();
    let raw = parts.concat();
    let compound = parts.len() > 1;
    if raw.chars().count() < 2
        || (!compound && Analyzers::is_stop_word(&raw))
        || parsed.words.iter().any(|w| w.raw == raw)
    {
        return;
    }
    let french = analyzers.french_stem(&raw);
    let english = analyzers.english_stem(&raw);
    parsed.words.push(Word { raw, parts: if compound { parts } else { Vec::new() }, french, english });
}

/// A word of the vocabulary, analysed once.
struct Known {
    tokens: Vec<String>,
    english: Option<String>,
    french: Option<String>,
}

impl Known {
    fn is(&self, word: &Word) -> bool {
        self.tokens.concat() == word.raw
            || (self.tokens.len() == 1
                && ((word.english.is_some() && self.english == word.english)
                    || (word.french.is_some() && self.french == word.french)))
    }
}

/// The vocabulary's entries, analysed on first use.
fn known() -> &'static [Vec<Known>] {
    static KNOWN: std::sync::OnceLock<Vec<Vec<Known>>> = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        Analyzers::with(|a| {
            super::vocabulary::entries()
                .map(|entry| {
                    entry
                        .iter()
                        .map(|text| {
                            let tokens: Vec<String> = a.raw_tokens(text).into_iter().map(|t| t.text).collect();
                            let one = tokens.concat();
                            Known { english: a.english_stem(&one), french: a.french_stem(&one), tokens }
                        })
                        .collect()
                })
                .collect()
        })
    })
}

/// The vocabulary's other words for a query word ("mentoring" gives "mentorat", "parrainage"…),
/// each as folded tokens.
pub(super) fn synonyms_of(word: &Word) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for entry in known().iter().filter(|entry| entry.iter().any(|k| k.is(word))) {
        out.extend(entry.iter().filter(|k| !k.is(word)).map(|k| k.tokens.clone()));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> (Vec<String>, Vec<Vec<String>>, bool) {
        let p = parse(text, &mut Analyzers::default());
        (p.words.into_iter().map(|w| w.raw).collect(), p.phrases, p.prefix)
    }

    #[test]
    fn queries_are_folded_and_stop_words_dropped() {
        assert_eq!(words("Analyse des Carburants "), (vec!["analyse".into(), "carburants".into()], vec![], false));
        assert_eq!(words("l'énergie photovolt").0, ["energie", "photovolt"]);
        assert!(words("photovolt").2);
    }

    #[test]
    fn quotes_make_phrases_and_unbalanced_quotes_are_plain_text() {
        let (w, p, _) = words("\"fibre optique\" lumière");
        assert_eq!(w, ["lumiere"]);
        assert_eq!(p, vec![vec!["fibre".to_string(), "optique".to_string()]]);
        let (w, p, _) = words("\"fibre optique");
        assert_eq!(w, ["fibre", "optique"]);
        assert!(p.is_empty());
    }

    #[test]
    fn any_input_parses() {
        for text in ["", "\"", "AND OR -:*", "🌞🔥", &"x".repeat(10_000), "a\"b\"c\"d"] {
            let _ = parse(text, &mut Analyzers::default());
        }
    }

    #[test]
    fn vocabulary_words_bring_their_synonyms() {
        let p = parse("mentoring startups", &mut Analyzers::default());
        let mentoring = synonyms_of(&p.words[0]);
        assert!(mentoring.contains(&vec!["mentorat".to_string()]), "{mentoring:?}");
        let startups = synonyms_of(&p.words[1]);
        assert!(startups.contains(&vec!["jeune".to_string(), "pousse".to_string()]), "{startups:?}");
        assert!(synonyms_of(&parse("carburant", &mut Analyzers::default()).words[0]).is_empty());
    }

    #[test]
    fn hyphenated_words_are_one_word_and_never_a_prefix() {
        let p = parse("accompagnement start-up", &mut Analyzers::default());
        assert_eq!(p.words[1].raw, "startup");
        assert_eq!(p.words[1].parts, ["start", "up"]);
        assert!(!p.prefix, "a fragment of a hyphenated word is not completed");
        assert_eq!(joined_compounds("Les start-up d'Aix-en-Provence"), ["startup", "aixenprovence"]);
        assert_eq!(joined_compounds("l\u{2019}éco\u{2011}conception"), ["ecoconception"], "a non-breaking hyphen");
        assert!(joined_compounds("l\u{2019}énergie \u{2013} le solaire").is_empty(), "an apostrophe and a dash");
    }
}

#[cfg(test)]
mod date_tests {
    use super::date_words;

    #[test]
    fn dates_are_spelled_out_in_both_languages() {
        let day = chrono::NaiveDate::from_ymd_opt(2022, 6, 22).unwrap();
        assert_eq!(date_words(day, None), ["mercredi 22 juin 2022", "Wednesday 22 June 2022"]);
        let end = chrono::NaiveDate::from_ymd_opt(2022, 7, 1).unwrap();
        assert_eq!(date_words(day, Some(end)).len(), 4);
        assert_eq!(date_words(day, Some(day)).len(), 2, "a one-day event is spelled once");
    }
}
