//! How an [`AppError`] reaches a GraphQL client: its message, and `extensions.code` with the
//! field or the problems at fault.

use async_graphql::ErrorExtensions;

use crate::error::AppError;

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            match self {
                AppError::Invalid(problems) => {
                    if let [one] = problems.as_slice() {
                        ext.set("field", one.path.as_str());
                    }
                    let list: Vec<async_graphql::Value> = problems
                        .iter()
                        .map(|p| {
                            let mut obj = async_graphql::indexmap::IndexMap::new();
                            obj.insert(async_graphql::Name::new("path"), p.path.clone().into());
                            obj.insert(async_graphql::Name::new("message"), p.message.clone().into());
                            async_graphql::Value::Object(obj)
                        })
                        .collect();
                    ext.set("problems", list);
                }
                AppError::Conflict { field: Some(field), .. } => ext.set("field", field.as_str()),
                _ => {}
            }
        })
    }
}
