//! The formatter: prints a formula in one canonical layout, keeping its comments.
//!
//! The layout:
//!
//! - one statement per line, each ending in `;`; empty statements are dropped;
//! - single spaces around binary operators and `=`, and around `?` and `:`;
//!   no space after a unary `-` or `!`, inside parentheses, before `,` or around `.`;
//!   one space after `,`;
//! - the fewest parentheses that keep the tree: C precedence, binary operators
//!   left-associative, `?:` right-associative (the author's redundant parentheses go);
//! - numbers in plain decimal, the shortest text that reads back as the same double
//!   (the grammar has no exponent);
//! - comments kept: a comment at the end of a statement's line stays there; every other
//!   comment gets a line of its own, in its place between statements, or just before its
//!   statement when it was written inside one. Trailing blanks are trimmed;
//! - a blank line where the author left one or more between statements or comments;
//!   none at the start or end; LF line breaks; a final line break (an empty formula is
//!   the empty text).
//!
//! Formatting is idempotent, and parsing the output gives the same syntax tree as
//! parsing the input, spans aside. A formula with syntax errors is refused with them.
//!
//! ```
//! use batchscale::format_formula as format;
//!
//! let text = "// scale on CPU\n$TargetDedicatedNodes=(min(2,((3)))+4 )*5;;x=a?b:c // done";
//! assert_eq!(
//!     format(text).unwrap(),
//!     "// scale on CPU\n$TargetDedicatedNodes = (min(2, 3) + 4) * 5;\nx = a ? b : c; // done\n"
//! );
//! ```

use super::ast::{BinaryOp, Expr, ExprKind, Formula, Statement, StatementKind};
use super::lexer::{Token, tokens};
use super::nesting;
use super::parser;
use crate::diagnostic::Diagnostic;

/// Formats a formula's text. `Err` holds every syntax error (and a too-deep nesting,
/// which the engine refuses as well).
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parser::parse(text);
    let too_deep = nesting::too_deep(&parsed.formula);
    if !parsed.errors.is_empty() || !too_deep.is_empty() {
        let mut diagnostics: Vec<Diagnostic> = parsed.errors.iter().map(Diagnostic::from).collect();
        diagnostics.extend(too_deep.iter().map(|e| e.diagnostic()));
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        nesting::dismantle(parsed.formula);
        return Err(diagnostics);
    }
    Ok(layout(text, &parsed.formula))
}

/// The formula without comments, in the canonical layout.
pub fn print_formula(formula: &Formula) -> String {
    let mut out = String::new();
    for statement in &formula.statements {
        out.push_str(&print_statement(statement));
        out.push_str(";\n");
    }
    out
}

/// One statement, without its `;`.
pub fn print_statement(statement: &Statement) -> String {
    let mut out = String::new();
    match &statement.kind {
        StatementKind::Assign { target, value } => {
            out.push_str(&target.text);
            out.push_str(" = ");
            write_expr(&mut out, value, 0);
        }
        StatementKind::Expr(e) => write_expr(&mut out, e, 0),
    }
    out
}

/// One expression, with the fewest parentheses that keep its tree.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0);
    out
}

/// A number literal as the shortest plain decimal that reads back as `x`.
///
/// The grammar's numbers have no sign, exponent or special values, so only a finite
/// `x >= 0` (or `+inf`, which a literal of 309 or more digits reads as) has a literal;
/// a negative `x` prints with a unary minus, and NaN as `0 / 0`, which a syntax tree from
/// the parser never holds.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        "0 / 0".to_string()
    } else if x == f64::INFINITY {
        // The smallest whole numbers that round to infinity have 309 digits.
        format!("2{}", "0".repeat(308))
    } else if x.is_sign_negative() && x != 0.0 || x == f64::NEG_INFINITY {
        format!("-{}", format_number(-x))
    } else {
        // Rust prints the shortest digits that round-trip, never in exponent form.
        format!("{}", x.abs())
    }
}

/// Binding strength, loosest first: `?:` 0, `||` 1, `&&` 2, equality 3, relations 4,
/// sums 5, products 6, unary 7, postfix (`.`) 8, atoms 9.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Conditional { .. } => 0,
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary { .. } => 7,
        ExprKind::Number(x) if x.is_nan() => 6,
        ExprKind::Number(x) if x.is_sign_negative() && *x != 0.0 => 7,
        ExprKind::Method { .. } | ExprKind::Field { .. } => 8,
        ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Name(_) | ExprKind::Call { .. } => 9,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div => 6,
    }
}

/// Writes `e` where the grammar needs at least precedence `min`, in parentheses if it
/// binds more loosely.
fn write_expr(out: &mut String, e: &Expr, min: u8) {
    if precedence(e) < min {
        out.push('(');
        write_expr(out, e, 0);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Number(x) => out.push_str(&format_number(*x)),
        ExprKind::String(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Unary { op, operand } => {
            out.push_str(op.symbol());
            write_expr(out, operand, 7);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = binary_precedence(*op);
            write_expr(out, lhs, p);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, rhs, p + 1);
        }
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            write_expr(out, condition, 1);
            out.push_str(" ? ");
            write_expr(out, then, 0);
            out.push_str(" : ");
            write_expr(out, otherwise, 0);
        }
        ExprKind::Call { function, args, .. } => {
            out.push_str(&function.text);
            write_args(out, args);
        }
        ExprKind::Method {
            receiver,
            method,
            args,
            ..
        } => {
            write_expr(out, receiver, 8);
            out.push('.');
            out.push_str(&method.text);
            write_args(out, args);
        }
        ExprKind::Field { receiver, field } => {
            write_expr(out, receiver, 8);
            out.push('.');
            out.push_str(&field.text);
        }
    }
}

fn write_args(out: &mut String, args: &[Expr]) {
    out.push('(');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, arg, 0);
    }
    out.push(')');
}

/// A `//` comment in the text between two tokens.
struct Comment<'a> {
    /// The comment from `//`, trailing blanks trimmed.
    text: &'a str,
    /// Line breaks between the previous token or comment and this one.
    breaks_before: usize,
}

/// The white space and comments between two tokens.
struct Gap<'a> {
    comments: Vec<Comment<'a>>,
    /// Line breaks between the last comment (or the previous token) and the next token.
    breaks_after: usize,
}

/// Reads a gap between tokens: only white space and `//` comments (the lexer skips
/// nothing else). A line break is LF, CRLF or a lone CR.
fn read_gap(gap: &str) -> Gap<'_> {
    let bytes = gap.as_bytes();
    let mut comments = Vec::new();
    let mut breaks = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => breaks += 1,
            b'\r' => {
                breaks += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'/' => {
                let end = gap[i..].find(['\r', '\n']).map_or(gap.len(), |n| i + n);
                comments.push(Comment {
                    text: gap[i..end].trim_end_matches([' ', '\t']),
                    breaks_before: breaks,
                });
                breaks = 0;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Gap {
        comments,
        breaks_after: breaks,
    }
}

enum Item<'a> {
    Blank,
    Comment(&'a str),
    Statement(usize),
}

/// Lays out a formula that parsed without errors, with the comments of its text.
fn layout(text: &str, formula: &Formula) -> String {
    let toks: Vec<(usize, Token, usize)> = tokens(text).filter_map(Result::ok).collect();
    let statements = &formula.statements;
    // The statement each token belongs to (`None`: a `;`).
    let mut owner: Vec<Option<usize>> = Vec::with_capacity(toks.len());
    let mut s = 0;
    for &(start, _, end) in &toks {
        while s < statements.len() && (statements[s].span.end as usize) < end {
            s += 1;
        }
        owner.push(
            statements
                .get(s)
                .filter(|st| st.span.start as usize <= start && end <= st.span.end as usize)
                .map(|_| s),
        );
    }
    let is_last =
        |i: usize| owner[i].is_some() && (i + 1 == toks.len() || owner[i + 1] != owner[i]);

    let mut items: Vec<Item<'_>> = Vec::new();
    let mut leading: Vec<Vec<&str>> = vec![Vec::new(); statements.len()];
    let mut end_of_line: Vec<Option<&str>> = vec![None; statements.len()];
    let push_blank = |items: &mut Vec<Item<'_>>| {
        if !items.is_empty() && !matches!(items.last(), Some(Item::Blank)) {
            items.push(Item::Blank);
        }
    };
    for g in 0..=toks.len() {
        let from = if g == 0 { 0 } else { toks[g - 1].2 };
        let to = if g == toks.len() {
            text.len()
        } else {
            toks[g].0
        };
        let gap = read_gap(&text[from..to]);
        let prev = g.checked_sub(1);
        // Inside a statement: between two of its tokens.
        let inside = match prev {
            Some(p) if g < toks.len() => owner[p].is_some() && owner[p] == owner[g],
            _ => false,
        };
        // The statement whose line the previous token ends: its last token, its `;`, or
        // a `;` of an empty statement on the same line as that.
        let closes = prev.and_then(|p| {
            let mut q = p;
            while owner[q].is_none() {
                if q == 0 {
                    return None;
                }
                let empty_statement = owner[q - 1].is_none();
                if empty_statement && text[toks[q - 1].2..toks[q].0].contains(['\n', '\r']) {
                    return None;
                }
                q -= 1;
            }
            if is_last(q) { owner[q] } else { None }
        });
        for c in gap.comments {
            let trailing = c.breaks_before == 0 && prev.is_some();
            if inside {
                if let Some(s) = owner[g] {
                    leading[s].push(c.text);
                }
            } else if let (true, Some(s)) = (trailing, closes)
                && end_of_line[s].is_none()
            {
                end_of_line[s] = Some(c.text);
            } else {
                if c.breaks_before >= 2 {
                    push_blank(&mut items);
                }
                items.push(Item::Comment(c.text));
            }
        }
        if g < toks.len()
            && let Some(s) = owner[g]
            && !inside
        {
            if gap.breaks_after >= 2 {
                push_blank(&mut items);
            }
            items.push(Item::Statement(s));
        }
    }

    let mut out = String::new();
    for item in items {
        match item {
            Item::Blank => out.push('\n'),
            Item::Comment(c) => {
                out.push_str(c);
                out.push('\n');
            }
            Item::Statement(s) => {
                for c in &leading[s] {
                    out.push_str(c);
                    out.push('\n');
                }
                out.push_str(&print_statement(&statements[s]));
                out.push(';');
                if let Some(c) = end_of_line[s] {
                    out.push(' ');
                    out.push_str(c);
                }
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    fn fmt(text: &str) -> String {
        let once = format(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        let twice = format(&once).unwrap();
        assert_eq!(twice, once, "formatting is not idempotent for {text:?}");
        once
    }

    #[test]
    fn spacing_and_one_statement_per_line() {
        assert_eq!(
            fmt("a=1+2*3;b=-c;;c=!d||e&&f==g;$x=max( 1 ,2 );"),
            "a = 1 + 2 * 3;\nb = -c;\nc = !d || e && f == g;\n$x = max(1, 2);\n"
        );
        assert_eq!(
            fmt("x = $CPUPercent . GetSample ( TimeInterval_Minute*5 , 70 ); y=time( ).hour"),
            "x = $CPUPercent.GetSample(TimeInterval_Minute * 5, 70);\ny = time().hour;\n"
        );
        assert_eq!(fmt("stop()"), "stop();\n");
        assert_eq!(fmt(""), "");
        assert_eq!(fmt(" ;; ; "), "");
    }

    #[test]
    fn minimal_parentheses_from_precedence() {
        assert_eq!(fmt("x = (1 + 2) * 3"), "x = (1 + 2) * 3;\n");
        assert_eq!(fmt("x = 1 + (2 * 3)"), "x = 1 + 2 * 3;\n");
        assert_eq!(fmt("x = (1 - 2) - 3"), "x = 1 - 2 - 3;\n");
        assert_eq!(fmt("x = 1 - (2 - 3)"), "x = 1 - (2 - 3);\n");
        assert_eq!(fmt("x = (a ? b : c) ? d : e"), "x = (a ? b : c) ? d : e;\n");
        assert_eq!(fmt("x = a ? b : (c ? d : e)"), "x = a ? b : c ? d : e;\n");
        assert_eq!(fmt("x = a ? (b ? 1 : 2) : e"), "x = a ? b ? 1 : 2 : e;\n");
        assert_eq!(fmt("x = -(-(1))"), "x = --1;\n");
        assert_eq!(fmt("x = -(a + b)"), "x = -(a + b);\n");
        assert_eq!(fmt("x = (-a).year"), "x = (-a).year;\n");
        assert_eq!(fmt("x = (time()).year"), "x = time().year;\n");
        assert_eq!(fmt("x = (a || b) && c"), "x = (a || b) && c;\n");
        assert_eq!(fmt("x = (1 < 2) < 3"), "x = 1 < 2 < 3;\n");
        assert_eq!(fmt("x = 1 == (2 == 3)"), "x = 1 == (2 == 3);\n");
        assert_eq!(fmt("x = max((1 ? 2 : 3), (4))"), "x = max(1 ? 2 : 3, 4);\n");
    }

    #[test]
    fn numbers_print_shortest_plain_decimal() {
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(1e21), "1000000000000000000000");
        assert_eq!(format_number(1e-7), "0.0000001");
        assert_eq!(fmt("x = 1.50"), "x = 1.5;\n");
        assert_eq!(fmt("x = 007.000"), "x = 7;\n");
        let inf = format_number(f64::INFINITY);
        assert_eq!(inf.parse::<f64>(), Ok(f64::INFINITY));
        assert!(inf[..inf.len() - 1].parse::<f64>().unwrap().is_finite());
        for x in [
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            0.1 + 0.2,
            123456.789e10,
        ] {
            assert_eq!(format_number(x).parse::<f64>(), Ok(x));
        }
    }

    #[test]
    fn comments_are_kept() {
        let text = "// head\n\n\n// second\na=1; // one\n\n// before b\nb = max(1, // inside\n  2)\n; // after b\n// tail\n";
        assert_eq!(
            fmt(text),
            "// head\n\n// second\na = 1; // one\n\n// before b\n// inside\nb = max(1, 2); // after b\n// tail\n"
        );
        assert_eq!(fmt("// only\r\n// comments   \r"), "// only\n// comments\n");
        assert_eq!(fmt("a = 1 // x\n; // y"), "a = 1; // x\n// y\n");
        assert_eq!(fmt("a = 1;; // after empty"), "a = 1; // after empty\n");
        assert_eq!(fmt("a = 1;\n; // own"), "a = 1;\n// own\n");
        assert_eq!(fmt("a = 1; b = 2; // c"), "a = 1;\nb = 2; // c\n");
        assert_eq!(fmt("a =\n// c\n1"), "// c\na = 1;\n");
    }

    #[test]
    fn syntax_errors_are_refused_with_every_error() {
        let errors = format("a = 1 +;\nb = * 2;").unwrap_err();
        assert_eq!(errors.len(), 2);
        let deep = format!("x = {}1", "-".repeat(nesting::MAX_NESTING_DEPTH + 1));
        let errors = format(&deep).unwrap_err();
        assert_eq!(errors[0].code, Code::TooDeep);
    }
}
