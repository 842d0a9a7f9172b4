//! Which warnings a check lets pass, reports, or fails on: the rules behind `batchscale
//! check --allow/--deny`, `batchscale.toml` and `// batchscale: allow(...)` comments.
//!
//! Every warning code has a [`Level`]. The defaults: every warning is reported
//! ([`Level::Warn`]) except a look-alike of a target ([`Code::LookalikeTarget`],
//! `$TargetDedicatedNode = 1`, which silently sets nothing), which is denied. Then each
//! layer of settings, in order (a configuration file, then the command line), overrides
//! the levels before it for what it names; within a layer a code overrides its group.
//! Then an inline `// batchscale: allow(CODE)` comment allows its code on its line.
//! Last, `deny warnings` turns every warning still reported into an error.
//!
//! Errors cannot be allowed: the service refuses the formula, or fails when the statement
//! runs, whatever a check says.
//!
//! ```
//! use batchscale::{Code, Policy, Selector};
//!
//! let text = "limit = 20; // batchscale: allow(BS0608)\nspare = 1;\n$TargetDedicatedNodes = 5;";
//! let diagnostics = batchscale::validate(text, None).diagnostics;
//! assert_eq!(diagnostics.iter().filter(|d| d.code == Code::UnusedVariable).count(), 2);
//!
//! let mut policy = Policy::default();
//! policy.apply("--deny", &[], &["warnings".parse::<Selector>().unwrap()]).unwrap();
//! let judged = policy.judge(text, diagnostics).unwrap();
//! // `limit` is allowed on its line; `spare` fails the check.
//! assert_eq!(judged.len(), 1);
//! assert!(judged[0].diagnostic.is_error() && judged[0].diagnostic.message.contains("spare"));
//! let origin = judged[0].denied_by.as_ref().unwrap();
//! assert_eq!((origin.layer.as_str(), origin.selector), ("--deny", Selector::Warnings));
//! ```

use std::collections::BTreeMap;

use super::code::{Code, Group};
use super::{Diagnostic, Severity};
use crate::syntax::lexer::tokens;
use crate::syntax::span::{LineIndex, Span};

/// What a check does with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a warning; the check passes.
    Warn,
    /// Reported as an error; the check fails.
    Deny,
}

/// What `--allow` and `--deny` name: a code (`BS0608`), a group (`lint`) or, for `--deny`
/// only, `warnings` (every warning still reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// One code.
    Code(Code),
    /// Every code of a group.
    Group(Group),
    /// Every warning that is still reported once the levels are set.
    Warnings,
}

/// A selector that names nothing, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code or group '{0}'; expected a code such as BS0601, a group ({groups}), or warnings", groups = group_names())]
pub struct UnknownSelector(pub String);

fn group_names() -> String {
    Group::ALL
        .iter()
        .map(|g| g.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for Selector {
    type Err = UnknownSelector;

    /// A code (any case: `bs0608`), a group's name, or `warnings`.
    fn from_str(text: &str) -> Result<Selector, UnknownSelector> {
        let word = text.trim();
        if word.eq_ignore_ascii_case("warnings") {
            return Ok(Selector::Warnings);
        }
        if let Some(code) = Code::from_text(&word.to_ascii_uppercase()) {
            return Ok(Selector::Code(code));
        }
        Group::from_name(&word.to_ascii_lowercase())
            .map(Selector::Group)
            .ok_or_else(|| UnknownSelector(word.to_string()))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Code(code) => write!(f, "{code}"),
            Selector::Group(group) => write!(f, "{group}"),
            Selector::Warnings => f.write_str("warnings"),
        }
    }
}

/// Settings that cannot be applied: what is wrong, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// The levels of every warning code, built from the defaults and layers of settings.
#[derive(Debug, Clone)]
pub struct Policy {
    levels: BTreeMap<Code, (Level, Origin)>,
    deny_warnings: Option<Origin>,
}

impl Default for Policy {
    /// Every warning reported, except a look-alike of a target, denied.
    fn default() -> Policy {
        let mut levels = BTreeMap::new();
        levels.insert(
            Code::LookalikeTarget,
            (
                Level::Deny,
                Origin {
                    layer: DEFAULT_LAYER.to_string(),
                    selector: Selector::Code(Code::LookalikeTarget),
                },
            ),
        );
        Policy {
            levels,
            deny_warnings: None,
        }
    }
}

impl Policy {
    /// Applies one layer of settings (`layer` names it: `--deny`, a file's path). Groups first, then codes, so a code overrides its group; a
    /// selector both allowed and denied in one layer, an error code or group allowed, or
    /// `warnings` allowed is refused.
    pub fn apply(
        &mut self,
        layer: &str,
        allow: &[Selector],
        deny: &[Selector],
    ) -> Result<(), PolicyError> {
        for a in allow {
            if deny.contains(a) {
                return Err(PolicyError(format!("'{a}' is both allowed and denied")));
            }
            match a {
                Selector::Warnings => {
                    return Err(PolicyError(
                        "'warnings' can only be denied; allow codes or groups".to_string(),
                    ));
                }
                Selector::Code(code) if code.severity() == Severity::Error => {
                    return Err(PolicyError(format!(
                        "{code} is an error and cannot be allowed: the service refuses the \
                         formula or fails when the statement runs"
                    )));
                }
                Selector::Group(group) if group.severity() == Severity::Error => {
                    return Err(PolicyError(format!(
                        "'{group}' ({}) holds errors and cannot be allowed: the service \
                         refuses the formula or fails when the statement runs",
                        group.series()
                    )));
                }
                _ => {}
            }
        }
        let settings = allow
            .iter()
            .map(|s| (s, Level::Allow))
            .chain(deny.iter().map(|s| (s, Level::Deny)));
        let (groups, codes): (Vec<_>, Vec<_>) = settings
            .filter(|(s, _)| !matches!(s, Selector::Warnings))
            .partition(|(s, _)| matches!(s, Selector::Group(_)));
        for (selector, level) in groups.into_iter().chain(codes) {
            let origin = Origin {
                layer: layer.to_string(),
                selector: *selector,
            };
            let codes: Vec<Code> = match selector {
                Selector::Code(code) => vec![*code],
                Selector::Group(group) => group.codes().collect(),
                Selector::Warnings => Vec::new(),
            };
            for code in codes
                .into_iter()
                .filter(|c| c.severity() == Severity::Warning)
            {
                self.levels.insert(code, (level, origin.clone()));
            }
        }
        if deny.contains(&Selector::Warnings) {
            self.deny_warnings = Some(Origin {
                layer: layer.to_string(),
                selector: Selector::Warnings,
            });
        }
        Ok(())
    }

    /// The level of a code before inline comments and `deny warnings`; an error code is
    /// always [`Level::Deny`].
    pub fn level(&self, code: Code) -> Level {
        if code.severity() == Severity::Error {
            return Level::Deny;
        }
        self.levels
            .get(&code)
            .map_or(Level::Warn, |(level, _)| *level)
    }

    /// Applies the levels and the text's `// batchscale: allow(...)` comments to its
    /// diagnostics: allowed warnings go, denied ones become errors (with what denied
    /// them), in the order given. `Err` holds every comment that starts with
    /// `batchscale:` but does not read as `allow(CODE, ...)`.
    pub fn judge(
        &self,
        text: &str,
        diagnostics: Vec<Diagnostic>,
    ) -> Result<Vec<Judged>, Vec<DirectiveError>> {
        let inline = inline_allows(text)?;
        let lines = LineIndex::new(text);
        let mut out = Vec::with_capacity(diagnostics.len());
        for mut d in diagnostics {
            let Some(code) = d.code_kind() else {
                out.push(Judged {
                    diagnostic: d,
                    denied_by: None,
                });
                continue;
            };
            if d.severity == Severity::Error {
                out.push(Judged {
                    diagnostic: d,
                    denied_by: None,
                });
                continue;
            }
            let line = lines.line_col(text, d.span.start as usize).line;
            let allowed_inline = inline
                .iter()
                .any(|a| a.line == line && a.selectors.iter().any(|s| s.matches(code)));
            if allowed_inline {
                continue;
            }
            let (level, origin) = match self.levels.get(&code) {
                Some((level, origin)) => (*level, Some(origin.clone())),
                None => (Level::Warn, None),
            };
            let denied_by = match level {
                Level::Allow => continue,
                Level::Deny => origin,
                Level::Warn => self.deny_warnings.clone(),
            };
            if denied_by.is_some() {
                d.severity = Severity::Error;
            }
            out.push(Judged {
                diagnostic: d,
                denied_by,
            });
        }
        Ok(out)
    }
}

impl Selector {
    /// Whether the selector names `code`.
    pub fn matches(self, code: Code) -> bool {
        match self {
            Selector::Code(c) => c == code,
            Selector::Group(g) => code.group() == g,
            Selector::Warnings => code.severity() == Severity::Warning,
        }
    }
}

/// A diagnostic after the policy: its severity is `Error` when it was denied.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The diagnostic, an error if denied.
    pub diagnostic: Diagnostic,
    /// What denied a warning.
    pub denied_by: Option<Origin>,
}

/// The layer of [`Policy::default`].
pub const DEFAULT_LAYER: &str = "default";

/// Where a level was set: the layer ([`DEFAULT_LAYER`], or the name given to
/// [`Policy::apply`]) and the selector that named the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The layer's name.
    pub layer: String,
    /// What it named.
    pub selector: Selector,
}

/// An inline `// batchscale: allow(...)` comment: the line it applies to and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineAllow {
    /// The line (from 1) whose diagnostics it allows.
    pub line: usize,
    /// The codes and groups it allows.
    pub selectors: Vec<Selector>,
}

/// A `// batchscale:` comment that does not read as `allow(CODE, ...)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DirectiveError {
    /// The comment (or the part of it that is wrong).
    pub span: Span,
    /// What was expected.
    pub message: String,
}

/// The text's `// batchscale: allow(CODE, ...)` comments. A comment at the end of a line
/// of code applies to that line; a comment on a line of its own applies to the next line
/// that holds code (blank lines and other comments between are skipped). A diagnostic is
/// on the line where it starts. Text after the `)` is a free reason. Any comment whose
/// text starts with `batchscale:` must read so: anything else is an error, never ignored.
pub fn inline_allows(text: &str) -> Result<Vec<InlineAllow>, Vec<DirectiveError>> {
    // Comments lie between tokens (the lexer skips them); a bad token's span counts as a
    // token, so a `//` inside a string or an unterminated one is not read as a comment.
    let mut spans: Vec<(usize, usize)> = tokens(text)
        .map(|t| match t {
            Ok((start, _, end)) => (start, end),
            Err(f) => (f.start, f.end),
        })
        .collect();
    spans.push((text.len(), text.len()));
    let lines = LineIndex::new(text);
    let line_of = |offset: usize| lines.line_col(text, offset).line;
    let mut allows = Vec::new();
    let mut errors = Vec::new();
    let mut previous_end = 0;
    for (i, &(start, _)) in spans.iter().enumerate() {
        let gap = &text[previous_end..start];
        let mut offset = 0;
        while let Some(found) = gap[offset..].find("//") {
            let from = previous_end + offset + found;
            let end = text[from..]
                .find(['\r', '\n'])
                .map_or(text.len(), |n| from + n);
            offset = end - previous_end;
            let body = &text[from + 2..end];
            let trimmed = body.trim_start();
            let Some(directive) = trimmed.strip_prefix("batchscale:") else {
                continue;
            };
            let directive_at = end - directive.trim_start().len();
            let trailing = i > 0 && line_of(spans[i - 1].1) == line_of(from);
            let line = if trailing {
                Some(line_of(from))
            } else {
                // The next line that holds code: the line of the next token.
                spans
                    .get(i)
                    .filter(|&&(s, _)| s < text.len())
                    .map(|&(s, _)| line_of(s))
            };
            match parse_allow(directive) {
                Ok(selectors) => {
                    if let Some(line) = line {
                        allows.push(InlineAllow { line, selectors });
                    }
                }
                Err(message) => errors.push(DirectiveError {
                    span: Span::new(directive_at, end),
                    message,
                }),
            }
        }
        previous_end = spans[i].1;
    }
    if errors.is_empty() {
        Ok(allows)
    } else {
        Err(errors)
    }
}

/// Reads ` allow(BS0608, lint) reason` into its selectors.
fn parse_allow(directive: &str) -> Result<Vec<Selector>, String> {
    let expected = "expected 'batchscale: allow(CODE, ...)' with codes such as BS0608 or \
                    groups such as lint";
    let rest = directive.trim_start();
    let Some(inside) = rest.strip_prefix("allow(") else {
        return Err(format!("{expected}, found '{}'", rest.trim_end()));
    };
    let Some(close) = inside.find(')') else {
        return Err(format!("{expected}: the ')' is missing"));
    };
    let mut selectors = Vec::new();
    for word in inside[..close].split(',') {
        if word.trim().is_empty() {
            return Err(format!(
                "{expected}: a code is missing between '(', ',' and ')'"
            ));
        }
        let selector: Selector = word.parse().map_err(|e: UnknownSelector| e.to_string())?;
        match selector {
            Selector::Warnings => {
                return Err("'warnings' cannot be allowed; name codes or groups".to_string());
            }
            Selector::Code(code) if code.severity() == Severity::Error => {
                return Err(format!("{code} is an error and cannot be allowed"));
            }
            Selector::Group(group) if group.severity() == Severity::Error => {
                return Err(format!("'{group}' holds errors and cannot be allowed"));
            }
            _ => selectors.push(selector),
        }
    }
    Ok(selectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(text: &str) -> Selector {
        text.parse().unwrap()
    }

    fn codes(policy: &Policy, text: &str) -> Vec<(String, Severity)> {
        let diagnostics = crate::validate(text, None).diagnostics;
        policy
            .judge(text, diagnostics)
            .unwrap()
            .into_iter()
            .map(|j| (j.diagnostic.code.to_string(), j.diagnostic.severity))
            .collect()
    }

    const UNUSED: &str = "limit = 20;\n$TargetDedicatedNodes = 5;";

    #[test]
    fn selectors_read_codes_groups_and_warnings_in_any_case() {
        assert_eq!(sel("BS0608"), Selector::Code(Code::UnusedVariable));
        assert_eq!(sel("bs0608"), Selector::Code(Code::UnusedVariable));
        assert_eq!(sel("lint"), Selector::Group(Group::Lint));
        assert_eq!(sel("Warnings"), Selector::Warnings);
        let e = "BS9999".parse::<Selector>().unwrap_err().to_string();
        assert!(
            e.contains("'BS9999'") && e.contains("lint") && e.contains("BS0601"),
            "{e}"
        );
    }

    #[test]
    fn a_lookalike_target_is_denied_by_default() {
        let text = "$TargetDedicatedNode = 1;";
        assert_eq!(
            codes(&Policy::default(), text),
            [("BS0509".to_string(), Severity::Error)]
        );
        let mut policy = Policy::default();
        policy.apply("--allow", &[sel("BS0509")], &[]).unwrap();
        assert_eq!(codes(&policy, text), []);
    }

    #[test]
    fn a_code_overrides_its_group_and_a_later_layer_the_earlier() {
        let mut policy = Policy::default();
        policy
            .apply("file", &[sel("lint")], &[sel("BS0608")])
            .unwrap();
        assert_eq!(policy.level(Code::UnusedVariable), Level::Deny);
        assert_eq!(policy.level(Code::ColdStart), Level::Allow);
        policy.apply("--allow", &[sel("BS0608")], &[]).unwrap();
        assert_eq!(policy.level(Code::UnusedVariable), Level::Allow);
        assert_eq!(codes(&policy, UNUSED), []);
    }

    #[test]
    fn deny_warnings_fails_on_what_is_still_reported() {
        let mut policy = Policy::default();
        policy
            .apply("--deny", &[sel("BS0608")], &[sel("warnings")])
            .unwrap();
        assert_eq!(codes(&policy, UNUSED), []);
        let text = "$TargetDedicatedNodes = $CurrentDedicatedNodes - 1;";
        assert!(
            codes(&policy, text)
                .iter()
                .all(|(_, severity)| *severity == Severity::Error)
        );
    }

    #[test]
    fn errors_and_warnings_cannot_be_allowed_and_conflicts_are_refused() {
        let mut policy = Policy::default();
        for (allow, deny, needle) in [
            (vec![sel("BS0201")], vec![], "BS0201 is an error"),
            (
                vec![sel("syntax")],
                vec![],
                "'syntax' (BS01xx) holds errors",
            ),
            (vec![sel("warnings")], vec![], "can only be denied"),
            (
                vec![sel("lint")],
                vec![sel("lint")],
                "both allowed and denied",
            ),
        ] {
            let e = policy.apply("x", &allow, &deny).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        // Denying an error changes nothing.
        policy.apply("x", &[], &[sel("names")]).unwrap();
        assert_eq!(policy.level(Code::UndefinedSymbol), Level::Deny);
    }

    #[test]
    fn an_inline_allow_covers_its_line_or_the_next_line_of_code() {
        let policy = Policy::default();
        let at_end =
            "limit = 20; // batchscale: allow(BS0608) kept for later\n$TargetDedicatedNodes = 5;";
        assert_eq!(codes(&policy, at_end), []);
        let before =
            "// batchscale: allow(lint)\n\n// why\nlimit = 20;\n$TargetDedicatedNodes = 5;";
        assert_eq!(codes(&policy, before), []);
        let elsewhere = "// batchscale: allow(BS0608)\n$TargetDedicatedNodes = 5;\nlimit = 20;";
        assert_eq!(
            codes(&policy, elsewhere),
            [("BS0608".to_string(), Severity::Warning)]
        );
        // Only a comment: a string holding the text is not one.
        let string = "limit = \"// batchscale: allow(BS0608)\";\n$TargetDedicatedNodes = 5;";
        assert_eq!(codes(&policy, string).len(), 1);
    }

    #[test]
    fn a_malformed_inline_directive_is_an_error_at_its_place() {
        for (text, needle) in [
            (
                "x = 1; // batchscale: deny(BS0608)",
                "expected 'batchscale: allow(",
            ),
            ("x = 1; // batchscale: allow(BS0608", "')' is missing"),
            (
                "x = 1; // batchscale: allow(BS9999)",
                "unknown code or group 'BS9999'",
            ),
            ("x = 1; // batchscale:allow(BS0201)", "BS0201 is an error"),
            ("x = 1; // batchscale: allow()", "a code is missing"),
            ("x = 1; // batchscale: allow(BS0608,)", "a code is missing"),
        ] {
            let errors = inline_allows(text).unwrap_err();
            assert_eq!(errors.len(), 1, "{text}");
            assert!(
                errors[0].message.contains(needle),
                "{text}: {}",
                errors[0].message
            );
            assert_eq!(errors[0].span.end as usize, text.len());
            assert!(text[errors[0].span.range()].contains("allow") || text.contains("deny"));
        }
        // Other comments are not directives.
        assert_eq!(inline_allows("x = 1; // batchscale is nice"), Ok(vec![]));
    }
}
