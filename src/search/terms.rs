//! Terms of the index's fields, as queries and filters look them up.

use tantivy::Term;
use tantivy::schema::Field;

/// The term of `text` in `field`, as indexed (the text is analysed beforehand).
pub(super) fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}
