//! Query parameters (emulator.md 2.2): names matched case-insensitively, values
//! URL-decoded; `timeout`, `maxresults`, the `$filter` subset, `$select`, `$expand`, and
//! paging tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::decode_component;
use crate::error::ApiError;

/// The parsed query of one request.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// (decoded name, decoded value, raw `name=value` part), first occurrence kept.
    pub pairs: Vec<(String, String, String)>,
}

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Query {
        let mut pairs: Vec<(String, String, String)> = Vec::new();
        for part in raw.unwrap_or("").split('&') {
            if part.is_empty() {
                continue;
            }
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = decode_component(name);
            if pairs.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(&name)) {
                continue;
            }
            pairs.push((name, decode_component(value), part.to_string()));
        }
        Query { pairs }
    }

    /// The value of a parameter, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| v.as_str())
    }

    /// Refuses (under `--strict`) names outside `allowed` (plus `api-version`, `timeout`).
    pub fn check_known(&self, allowed: &[&str], strict: bool) -> Result<(), ApiError> {
        if !strict {
            return Ok(());
        }
        for (name, _, _) in &self.pairs {
            let known = ["api-version", "timeout"]
                .iter()
                .chain(allowed)
                .any(|a| a.eq_ignore_ascii_case(name));
            if !known {
                return Err(ApiError::new(
                    400,
                    "UnsupportedQueryParameter",
                    crate::error::msg::UNSUPPORTED_QUERY,
                    vec![("QueryParameterName".to_string(), name.clone())],
                ));
            }
        }
        Ok(())
    }

    /// `timeout`: an integer ≥ 1 (above 30 means 30; never enforced).
    pub fn check_timeout(&self) -> Result<(), ApiError> {
        if let Some(v) = self.get("timeout") {
            let n: i64 = v.parse().map_err(|_| {
                ApiError::query_value("timeout", v, "timeout must be an integer number of seconds")
            })?;
            if n < 1 {
                return Err(ApiError::query_range(
                    "timeout",
                    v,
                    "timeout must be at least 1",
                ));
            }
        }
        Ok(())
    }

    /// `maxresults`: 1..1000, default 1000.
    pub fn max_results(&self) -> Result<usize, ApiError> {
        match self.get("maxresults") {
            None => Ok(1000),
            Some(v) => {
                let n: i64 = v.parse().map_err(|_| {
                    ApiError::query_value("maxresults", v, "maxresults must be an integer")
                })?;
                if !(1..=1000).contains(&n) {
                    return Err(ApiError::query_range(
                        "maxresults",
                        v,
                        "maxresults must be from 1 to 1000",
                    ));
                }
                Ok(n as usize)
            }
        }
    }

    /// `$skiptoken`, decoded.
    pub fn skip_token(&self) -> Result<Option<String>, ApiError> {
        let Some(v) = self.get("$skiptoken") else {
            return Ok(None);
        };
        let bad =
            || ApiError::query_value("$skiptoken", v, "the token was not issued by this emulator");
        let body = v.strip_prefix("b1.").ok_or_else(bad)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        String::from_utf8(bytes).map(Some).map_err(|_| bad())
    }

    /// `$expand`: only `stats`, accepted and ignored.
    pub fn check_expand(&self) -> Result<(), ApiError> {
        match self.get("$expand") {
            None => Ok(()),
            Some(v) if v.trim().eq_ignore_ascii_case("stats") => Ok(()),
            Some(v) => Err(ApiError::query_value(
                "$expand",
                v,
                "the emulator accepts only $expand=stats (and ignores it)",
            )),
        }
    }

    /// `$select` against the names a shape has: the chosen names, or `None` for all.
    pub fn select(&self, fields: &[&str]) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.get("$select") else {
            return Ok(None);
        };
        let mut chosen = Vec::new();
        for name in v.split(',') {
            let name = name.trim();
            match fields.iter().find(|f| f.eq_ignore_ascii_case(name)) {
                Some(f) => chosen.push(f.to_string()),
                None => {
                    return Err(ApiError::query_value(
                        "$select",
                        v,
                        &format!("'{name}' is not a property of this resource"),
                    ));
                }
            }
        }
        Ok(Some(chosen))
    }

    /// The `odata.nextLink` query: this query minus `timeout` and `$skiptoken`, plus the
    /// new token.
    pub fn next_link_query(&self, key: &str) -> String {
        let mut parts: Vec<&str> = self
            .pairs
            .iter()
            .filter(|(n, _, _)| {
                !n.eq_ignore_ascii_case("timeout") && !n.eq_ignore_ascii_case("$skiptoken")
            })
            .map(|(_, _, raw)| raw.as_str())
            .collect();
        let token = format!("$skiptoken=b1.{}", URL_SAFE_NO_PAD.encode(key.as_bytes()));
        parts.push(&token);
        parts.join("&")
    }
}

/// A value a filter compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// A quoted string.
    Str(String),
    /// `true`/`false`.
    Bool(bool),
}

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `a or b or …`.
    Or(Vec<Filter>),
    /// `a and b and …`.
    And(Vec<Filter>),
    /// `prop eq lit` / `prop ne lit`.
    Cmp {
        /// The property.
        prop: String,
        /// `ne` when true.
        negate: bool,
        /// The literal.
        lit: Lit,
    },
    /// `startswith(prop, 'x')`.
    StartsWith {
        /// The property.
        prop: String,
        /// The prefix.
        prefix: String,
    },
}

/// The type of a filterable property.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropType {
    /// String: `eq`, `ne`, `startswith`.
    Str,
    /// Boolean: `eq`, `ne`.
    Bool,
}

const SUBSET: &str = "the emulator supports eq, ne and startswith on";

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    props: &'a [(&'a str, PropType)],
}

impl Parser<'_> {
    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        self.i - start
    }

    fn keyword(&mut self, word: &str) -> bool {
        let save = self.i;
        if self.spaces() == 0 {
            self.i = save;
            return false;
        }
        if self.s[self.i..].starts_with(word.as_bytes())
            && self.s.get(self.i + word.len()) == Some(&b' ')
        {
            self.i += word.len();
            if self.spaces() > 0 {
                return true;
            }
        }
        self.i = save;
        false
    }

    fn filter(&mut self) -> Result<Filter, String> {
        let mut items = vec![self.and()?];
        while self.keyword("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Filter::Or(items)
        })
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut items = vec![self.unary()?];
        while self.keyword("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Filter::And(items)
        })
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric())
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn prop(&mut self) -> Result<(String, PropType), String> {
        let name = self.ident();
        self.props
            .iter()
            .find(|(p, _)| *p == name)
            .map(|(p, t)| (p.to_string(), *t))
            .ok_or_else(|| format!("'{name}' is not a property the emulator can filter on"))
    }

    fn literal(&mut self) -> Result<Lit, String> {
        if self.s.get(self.i) == Some(&b'\'') {
            self.i += 1;
            let mut out = Vec::new();
            loop {
                match self.s.get(self.i) {
                    None => return Err("a string literal is not closed".to_string()),
                    Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => {
                        out.push(b'\'');
                        self.i += 2;
                    }
                    Some(b'\'') => {
                        self.i += 1;
                        break;
                    }
                    Some(&b) => {
                        out.push(b);
                        self.i += 1;
                    }
                }
            }
            return Ok(Lit::Str(String::from_utf8_lossy(&out).into_owned()));
        }
        let word = self.ident();
        match word.as_str() {
            "true" => Ok(Lit::Bool(true)),
            "false" => Ok(Lit::Bool(false)),
            _ => Err(format!(
                "expected a quoted string, true or false, found '{word}'"
            )),
        }
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.s.get(self.i) == Some(&b'(') {
            self.i += 1;
            self.spaces();
            let inner = self.filter()?;
            self.spaces();
            if self.s.get(self.i) != Some(&b')') {
                return Err("expected ')'".to_string());
            }
            self.i += 1;
            return Ok(inner);
        }
        if self.s[self.i..].starts_with(b"startswith(") {
            self.i += "startswith(".len();
            self.spaces();
            let (prop, ty) = self.prop()?;
            if ty != PropType::Str {
                return Err(format!(
                    "startswith takes a string property, and '{prop}' is not one"
                ));
            }
            self.spaces();
            if self.s.get(self.i) != Some(&b',') {
                return Err("expected ',' in startswith".to_string());
            }
            self.i += 1;
            self.spaces();
            let Lit::Str(prefix) = self.literal()? else {
                return Err("startswith takes a quoted string".to_string());
            };
            self.spaces();
            if self.s.get(self.i) != Some(&b')') {
                return Err("expected ')' after startswith's arguments".to_string());
            }
            self.i += 1;
            return Ok(Filter::StartsWith { prop, prefix });
        }
        let (prop, ty) = self.prop()?;
        let negate = if self.keyword("eq") {
            false
        } else if self.keyword("ne") {
            true
        } else {
            return Err(format!("expected eq or ne after '{prop}'"));
        };
        let lit = self.literal()?;
        match (&lit, ty) {
            (Lit::Str(_), PropType::Str) | (Lit::Bool(_), PropType::Bool) => {
                Ok(Filter::Cmp { prop, negate, lit })
            }
            _ => Err(format!(
                "the value compared with '{prop}' has the wrong type"
            )),
        }
    }
}

impl Filter {
    /// Parses a `$filter` against the properties of one list.
    pub fn parse(text: &str, props: &[(&str, PropType)]) -> Result<Filter, ApiError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            props,
        };
        let names: Vec<&str> = props.iter().map(|(n, _)| *n).collect();
        let fail = |why: String| {
            ApiError::query_value(
                "$filter",
                text,
                &format!(
                    "{why}; {SUBSET} {} (and, or, parentheses)",
                    names.join(", ")
                ),
            )
        };
        let filter = p.filter().map_err(fail)?;
        if p.i != p.s.len() {
            return Err(fail(format!("unexpected text at position {}", p.i + 1)));
        }
        Ok(filter)
    }

    /// Whether an item matches; `get` gives a property's value.
    pub fn matches(&self, get: &dyn Fn(&str) -> Lit) -> bool {
        match self {
            Filter::Or(items) => items.iter().any(|f| f.matches(get)),
            Filter::And(items) => items.iter().all(|f| f.matches(get)),
            Filter::Cmp { prop, negate, lit } => {
                let equal = match (get(prop), lit) {
                    (Lit::Str(a), Lit::Str(b)) => eq_ignore_case(&a, b),
                    (Lit::Bool(a), Lit::Bool(b)) => a == *b,
                    _ => false,
                };
                equal != *negate
            }
            Filter::StartsWith { prop, prefix } => match get(prop) {
                Lit::Str(s) => starts_with_ignore_case(&s, prefix),
                Lit::Bool(_) => false,
            },
        }
    }
}

/// Case-insensitive equality; no allocation for ASCII text.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Case-insensitive prefix test; no allocation for ASCII text.
fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    if s.is_ascii() && prefix.is_ascii() {
        s.len() >= prefix.len()
            && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    } else {
        s.to_lowercase().starts_with(&prefix.to_lowercase())
    }
}

/// The properties `list pools` filters on.
pub const POOL_FILTER: &[(&str, PropType)] = &[
    ("id", PropType::Str),
    ("state", PropType::Str),
    ("allocationState", PropType::Str),
    ("vmSize", PropType::Str),
    ("enableAutoScale", PropType::Bool),
];
/// The properties `list nodes` filters on.
pub const NODE_FILTER: &[(&str, PropType)] = &[("id", PropType::Str), ("state", PropType::Str)];
/// The properties `list_usage_metrics` filters on.
pub const USAGE_FILTER: &[(&str, PropType)] = &[("poolId", PropType::Str)];

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(prop: &str) -> Lit {
        match prop {
            "id" => Lit::Str("Pool-1".into()),
            "state" => Lit::Str("active".into()),
            "enableAutoScale" => Lit::Bool(true),
            _ => Lit::Str("steady".into()),
        }
    }

    #[test]
    fn decided_filter_subset_parses_and_matches() {
        for (text, expected) in [
            ("state eq 'active'", true),
            ("state ne 'active'", false),
            ("id eq 'pool-1'", true),
            ("startswith(id,'pool')", true),
            ("startswith( id , 'POOL' )", true),
            ("enableAutoScale eq true", true),
            ("enableAutoScale eq false or id eq 'Pool-1'", true),
            (
                "(state eq 'active'  and  enableAutoScale eq false) or id eq 'x'",
                false,
            ),
            ("( state eq 'active' )", true),
            ("id eq 'it''s'", false),
        ] {
            let f = Filter::parse(text, POOL_FILTER).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(f.matches(&pool), expected, "{text}");
        }
    }

    #[test]
    fn decided_filter_refuses_anything_outside_the_subset() {
        for text in [
            "state gt 'a'",
            "not state eq 'a'",
            "name eq 'x'",
            "enableAutoScale eq 'true'",
            "state eq true",
            "startswith(enableAutoScale,'t')",
            "state EQ 'active'",
            "state eq 'active' AND id eq 'x'",
            "state eq 'unclosed",
            "state eq 'a' extra",
            "",
        ] {
            let e = Filter::parse(text, POOL_FILTER).unwrap_err();
            assert_eq!(e.code, "InvalidQueryParameterValue", "{text}");
            assert_eq!(
                e.values[0],
                ("QueryParameterName".to_string(), "$filter".to_string())
            );
            assert!(e.values[2].1.contains("the emulator supports"), "{text}");
        }
    }

    #[test]
    fn next_links_drop_timeout_and_the_old_token() {
        let q = Query::parse(Some(
            "api-version=2025-06-01&timeOut=30&maxresults=1&$skiptoken=b1.YQ",
        ));
        assert_eq!(q.skip_token().unwrap().as_deref(), Some("a"));
        assert_eq!(
            q.next_link_query("b"),
            "api-version=2025-06-01&maxresults=1&$skiptoken=b1.Yg"
        );
        assert!(Query::parse(Some("$skiptoken=zz")).skip_token().is_err());
    }
}
