//! The schema as the playground shows it: every type, field, argument, enum value and input
//! field says what it is.

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition};

/// The arguments or input fields of `owner` that have no description, named `owner.name`.
fn undescribed_values(owner: &str, values: &[async_graphql::Positioned<InputValueDefinition>]) -> Vec<String> {
    let values = values.iter().map(|v| &v.node);
    values.filter(|v| v.description.is_none()).map(|v| format!("{owner}.{}", v.name.node)).collect()
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() {
    // Arrange: the schema the server serves, as SDL (built-in scalars and `__*` types are not in it).
    let document = parse_schema(pepite::graphql::sdl()).expect("the SDL parses");

    // Act: everything without a description.
    let mut missing = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if ty.description.is_none() {
            missing.push(format!("type {name}"));
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    if field.description.is_none() {
                        missing.push(path.clone());
                    }
                    missing.extend(undescribed_values(&path, &field.arguments));
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    if field.description.is_none() {
                        missing.push(path.clone());
                    }
                    missing.extend(undescribed_values(&path, &field.arguments));
                }
            }
            TypeKind::Enum(values) => {
                let values = values.values.iter().map(|v| &v.node);
                missing.extend(values.filter(|v| v.description.is_none()).map(|v| format!("{name}.{}", v.value.node)));
            }
            TypeKind::InputObject(input) => missing.extend(undescribed_values(name, &input.fields)),
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }

    // Assert: nothing, but for what the Apollo Federation specification defines (`_service`,
    // `_entities`, `_Service`, `_Entity`), which async-graphql adds as the specification has them.
    missing.retain(|item| !item.trim_start_matches("type ").starts_with('_') && !item.starts_with("Query._"));
    assert!(missing.is_empty(), "{} without a description:\n{}", missing.len(), missing.join("\n"));
}
