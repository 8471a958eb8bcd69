//! Pagination shared by every list: `page` ≥ 1, `per_page` 1..=100 (default 25), and the
//! `{items, page, per_page, total}` envelope.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::problem::ApiError;

/// Default page size.
pub const DEFAULT_PER_PAGE: u64 = 25;
/// Largest page number (keeps every offset far from integer overflow).
pub const MAX_PAGE: u64 = 1_000_000;
/// Largest page size.
pub const MAX_PER_PAGE: u64 = 100;

/// `?page=&per_page=` as sent. Unknown query fields are allowed here, so a handler can read its
/// filters with a second `Query` extractor.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1..=100 (default 25).
    pub per_page: Option<i64>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl PageParams {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl PageQuery {
    /// Checks the ranges; out of range → 422 naming the fields.
    pub fn validate(&self) -> Result<PageParams, ApiError> {
        let mut errors = BTreeMap::new();
        let page = match self.page {
            None => 1,
            Some(p) if (1..=MAX_PAGE as i64).contains(&p) => p.unsigned_abs(),
            Some(_) => {
                errors.insert(
                    "page".to_owned(),
                    vec![format!("must be between 1 and {MAX_PAGE}")],
                );
                1
            }
        };
        let per_page = match self.per_page {
            None => DEFAULT_PER_PAGE,
            Some(n) if (1..=MAX_PER_PAGE as i64).contains(&n) => n.unsigned_abs(),
            Some(_) => {
                errors.insert(
                    "per_page".to_owned(),
                    vec![format!("must be between 1 and {MAX_PER_PAGE}")],
                );
                DEFAULT_PER_PAGE
            }
        };
        if errors.is_empty() {
            Ok(PageParams { page, per_page })
        } else {
            Err(ApiError::Unprocessable {
                detail: "invalid pagination".into(),
                errors,
            })
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// This page's number.
    pub page: u64,
    /// The page size.
    pub per_page: u64,
    /// Items over all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// A page of `items` for `params`.
    pub fn new(items: Vec<T>, params: PageParams, total: u64) -> Self {
        Self {
            items,
            page: params.page,
            per_page: params.per_page,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ranges() {
        assert_eq!(
            PageQuery::default().validate().ok(),
            Some(PageParams {
                page: 1,
                per_page: 25
            })
        );
        let q = PageQuery {
            page: Some(3),
            per_page: Some(100),
        };
        assert_eq!(q.validate().ok().map(|p| p.offset()), Some(200));
        for (page, per_page) in [
            (Some(0), None),
            (None, Some(0)),
            (None, Some(101)),
            (Some(-4), Some(-1)),
        ] {
            assert!(
                PageQuery { page, per_page }.validate().is_err(),
                "{page:?} {per_page:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_page_numbers_validate_or_are_refused(page in proptest::option::of(proptest::num::i64::ANY), per_page in proptest::option::of(proptest::num::i64::ANY)) {
            let q = PageQuery { page, per_page };
            let page_ok = page.is_none_or(|p| (1..=MAX_PAGE as i64).contains(&p));
            let per_ok = per_page.is_none_or(|n| (1..=MAX_PER_PAGE as i64).contains(&n));
            match q.validate() {
                Ok(params) => {
                    proptest::prop_assert!(page_ok && per_ok);
                    // The offset can never overflow.
                    proptest::prop_assert_eq!(params.offset(), (params.page - 1) * params.per_page);
                }
                Err(ApiError::Unprocessable { errors, .. }) => {
                    proptest::prop_assert_eq!(errors.contains_key("page"), !page_ok);
                    proptest::prop_assert_eq!(errors.contains_key("per_page"), !per_ok);
                }
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
