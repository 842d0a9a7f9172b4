//! The formatter: prints a formula in one canonical layout, keeping its comments.
//!
//! The layout:
//!
//! - one statement per line, each ending in `;`; empty statements are dropped;
//! - single spaces around binary operators and `=`, and around `?` and `:`;
//!   no space after a unary `-` or `!`, inside parentheses, before `,` or around `.`;
//!   one space after `,`;
//! - the fewest parentheses that keep the tree (C precedence, binary operators
//!   left-associative, `?:` right-associative; the author's redundant parentheses go),
//!   plus those a reader needs: around `&&` inside `||`, a comparison inside a comparison,
//!   and a `?:` in the branch taken when a condition holds (`a ? (b ? 1 : 2) : 3`); a `?:`
//!   in the other branch is a chain and needs none;
//! - a statement longer than 100 columns (its `;` included, an end-of-line comment not) is
//!   wrapped: a group that does not fit breaks before each operator of its chain, or after
//!   `(` and each `,` of its arguments, or before `?` and `:`; continued lines are indented
//!   four spaces per level, and only the groups that do not fit break. Where the
//!   indentation of a deeply nested formula would take it past the service's 8192
//!   characters, no statement is wrapped;
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
use super::span::utf16_len;
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
    let wrapped = layout(text, &parsed.formula, MAX_WIDTH);
    // Wrapping indents; a deeply nested formula could outgrow the service's limit by its
    // indentation alone. Then its statements stay on one line each.
    let limit = crate::engine::MAX_FORMULA_LENGTH;
    if utf16_len(&wrapped) > limit {
        let flat = layout(text, &parsed.formula, usize::MAX);
        if utf16_len(&flat) <= limit {
            return Ok(flat);
        }
    }
    Ok(wrapped)
}

/// The widest a line of a statement grows before it is wrapped (its `;` included, an
/// end-of-line comment not).
pub const MAX_WIDTH: usize = 100;

/// How far a wrapped line is indented, per level.
const INDENT: usize = 4;

/// The formula without comments, in the canonical layout.
pub fn print_formula(formula: &Formula) -> String {
    let mut out = String::new();
    for statement in &formula.statements {
        out.push_str(&print_statement(statement));
        out.push('\n');
    }
    out
}

/// One statement with its `;`, wrapped at [`MAX_WIDTH`] columns.
pub fn print_statement(statement: &Statement) -> String {
    print_statement_within(statement, MAX_WIDTH)
}

fn print_statement_within(statement: &Statement, width: usize) -> String {
    let mut parts = Vec::new();
    match &statement.kind {
        StatementKind::Assign { target, value } => {
            parts.push(Doc::Text(format!("{} = ", target.text)));
            parts.push(expr_doc(value, 0));
        }
        StatementKind::Expr(e) => parts.push(expr_doc(e, 0)),
    }
    parts.push(Doc::Text(";".to_string()));
    render(&Doc::List(parts), width)
}

/// One expression on one line, with the parentheses of the canonical layout.
pub fn print_expr(e: &Expr) -> String {
    render(&expr_doc(e, 0), usize::MAX)
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

/// A layout to print (Wadler's "prettier printer", reduced to what formulas need): text,
/// places to break, groups that break all their places or none, and indentation.
/// Written here rather than taken from a crate: it is sixty lines, and the engine keeps its
/// dependencies few.
enum Doc {
    Text(String),
    /// A space, or a line break when its group breaks.
    Line,
    /// Nothing, or a line break when its group breaks.
    SoftLine,
    List(Vec<Doc>),
    /// Its parts, with line breaks inside them indented one level more.
    Nest(Vec<Doc>),
    /// Its parts on one line if they fit (with what follows up to the next break), else
    /// with every `Line` and `SoftLine` of its own broken.
    Group(Vec<Doc>),
}

fn text(s: &str) -> Doc {
    Doc::Text(s.to_string())
}

/// The layout of `e` where the grammar needs at least precedence `min`, in parentheses
/// if it binds more loosely.
fn expr_doc(e: &Expr, min: u8) -> Doc {
    if precedence(e) < min {
        return parenthesised(expr_doc(e, 0));
    }
    match &e.kind {
        ExprKind::Number(x) => Doc::Text(format_number(*x)),
        ExprKind::String(s) => Doc::Text(format!("\"{s}\"")),
        ExprKind::Name(n) => Doc::Text(n.clone()),
        ExprKind::Unary { op, operand } => Doc::List(vec![text(op.symbol()), expr_doc(operand, 7)]),
        ExprKind::Binary { op, .. } => chain_doc(e, binary_precedence(*op)),
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            // A `?:` inside the branch taken when the condition holds reads as one block
            // only in parentheses; a chain in the other branch reads as "else if".
            let then = if matches!(then.kind, ExprKind::Conditional { .. }) {
                parenthesised(expr_doc(then, 0))
            } else {
                expr_doc(then, 0)
            };
            // A condition that breaks is indented past the `?` and `:` that follow it.
            Doc::Group(vec![
                Doc::Nest(vec![expr_doc(condition, 1)]),
                Doc::Nest(vec![
                    Doc::Line,
                    text("? "),
                    then,
                    Doc::Line,
                    text(": "),
                    expr_doc(otherwise, 0),
                ]),
            ])
        }
        ExprKind::Call { function, args, .. } => {
            Doc::List(vec![Doc::Text(function.text.clone()), args_doc(args)])
        }
        ExprKind::Method {
            receiver,
            method,
            args,
            ..
        } => Doc::List(vec![
            expr_doc(receiver, 8),
            Doc::Text(format!(".{}", method.text)),
            args_doc(args),
        ]),
        ExprKind::Field { receiver, field } => Doc::List(vec![
            expr_doc(receiver, 8),
            Doc::Text(format!(".{}", field.text)),
        ]),
    }
}

fn parenthesised(inner: Doc) -> Doc {
    Doc::List(vec![text("("), inner, text(")")])
}

/// Whether an operand of `op` keeps parentheses for a reader, although precedence does
/// not need them: `&&` inside `||`, and a comparison of a comparison (the checker warns
/// about both without parentheses, BS0514).
fn reader_parentheses(op: BinaryOp, operand: &Expr) -> bool {
    let ExprKind::Binary { op: inner, .. } = &operand.kind else {
        return false;
    };
    (op == BinaryOp::Or && *inner == BinaryOp::And) || (op.is_comparison() && inner.is_comparison())
}

/// An operand of `op` that needs precedence `min`.
fn operand_doc(op: BinaryOp, operand: &Expr, min: u8) -> Doc {
    if reader_parentheses(op, operand) {
        parenthesised(expr_doc(operand, 0))
    } else {
        expr_doc(operand, min)
    }
}

/// A chain of left-associative operators of one precedence (`a + b - c`), gathered
/// without recursion, broken before each operator when it does not fit.
fn chain_doc(e: &Expr, p: u8) -> Doc {
    let mut rights = Vec::new();
    let mut first = e;
    while let ExprKind::Binary { op, lhs, rhs } = &first.kind {
        if binary_precedence(*op) != p || precedence(first) < p {
            break;
        }
        rights.push((*op, rhs.as_ref()));
        first = lhs.as_ref();
        // Comparisons do not chain: an inner one keeps its parentheses.
        if op.is_comparison() {
            break;
        }
    }
    let last_op = rights
        .last()
        .map(|(op, _)| *op)
        .expect("a binary expression");
    let mut rest = Vec::new();
    for (op, rhs) in rights.into_iter().rev() {
        rest.push(Doc::Line);
        rest.push(Doc::Text(format!("{} ", op.symbol())));
        rest.push(operand_doc(op, rhs, p + 1));
    }
    Doc::Group(vec![operand_doc(last_op, first, p), Doc::Nest(rest)])
}

/// `(a, b)`, broken after `(` and each `,` when it does not fit, the `)` on a line of its
/// own.
fn args_doc(args: &[Expr]) -> Doc {
    if args.is_empty() {
        return text("()");
    }
    let mut inner = vec![Doc::SoftLine];
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            inner.push(text(","));
            inner.push(Doc::Line);
        }
        inner.push(expr_doc(arg, 0));
    }
    Doc::Group(vec![text("("), Doc::Nest(inner), Doc::SoftLine, text(")")])
}

/// Prints a layout within `width` columns where it can.
fn render(doc: &Doc, width: usize) -> String {
    let mut out = String::new();
    let mut column = 0usize;
    // What is left to print, the next on top: (indentation, flat, part).
    let mut stack: Vec<(usize, bool, &Doc)> = vec![(0, false, doc)];
    while let Some((indent, flat, d)) = stack.pop() {
        match d {
            Doc::Text(s) => {
                out.push_str(s);
                column += s.chars().count();
            }
            Doc::Line | Doc::SoftLine if flat => {
                if matches!(d, Doc::Line) {
                    out.push(' ');
                    column += 1;
                }
            }
            Doc::Line | Doc::SoftLine => {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                column = indent;
            }
            Doc::List(parts) => stack.extend(parts.iter().rev().map(|p| (indent, flat, p))),
            Doc::Nest(parts) => {
                stack.extend(parts.iter().rev().map(|p| (indent + INDENT, flat, p)));
            }
            Doc::Group(parts) => {
                let flat = flat || fits(width.saturating_sub(column), parts, &stack);
                stack.extend(parts.iter().rev().map(|p| (indent, flat, p)));
            }
        }
    }
    out
}

/// Whether `parts` on one line, and what follows them up to the next line break, fit in
/// `room` columns.
fn fits(room: usize, parts: &[Doc], rest: &[(usize, bool, &Doc)]) -> bool {
    let mut room = isize::try_from(room).unwrap_or(isize::MAX);
    let mut work: Vec<(bool, &Doc)> = parts.iter().rev().map(|p| (true, p)).collect();
    let mut next = rest.len();
    loop {
        if room < 0 {
            return false;
        }
        let (flat, d) = match work.pop() {
            Some(item) => item,
            None if next == 0 => return true,
            None => {
                next -= 1;
                (rest[next].1, rest[next].2)
            }
        };
        match d {
            Doc::Text(s) => room -= s.chars().count() as isize,
            Doc::Line if flat => room -= 1,
            Doc::SoftLine if flat => {}
            Doc::Line | Doc::SoftLine => return true,
            Doc::List(parts) | Doc::Nest(parts) | Doc::Group(parts) => {
                work.extend(parts.iter().rev().map(|p| (flat, p)));
            }
        }
    }
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
fn layout(text: &str, formula: &Formula, width: usize) -> String {
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
                out.push_str(&print_statement_within(&statements[s], width));
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
            "a = 1 + 2 * 3;\nb = -c;\nc = !d || (e && f == g);\n$x = max(1, 2);\n"
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
        assert_eq!(fmt("x = a ? (b ? 1 : 2) : e"), "x = a ? (b ? 1 : 2) : e;\n");
        assert_eq!(fmt("x = a ? b ? 1 : 2 : e"), "x = a ? (b ? 1 : 2) : e;\n");
        assert_eq!(fmt("x = -(-(1))"), "x = --1;\n");
        assert_eq!(fmt("x = -(a + b)"), "x = -(a + b);\n");
        assert_eq!(fmt("x = (-a).year"), "x = (-a).year;\n");
        assert_eq!(fmt("x = (time()).year"), "x = time().year;\n");
        assert_eq!(fmt("x = (a || b) && c"), "x = (a || b) && c;\n");
        assert_eq!(fmt("x = (1 < 2) < 3"), "x = (1 < 2) < 3;\n");
        assert_eq!(fmt("x = 1 < 2 < 3"), "x = (1 < 2) < 3;\n");
        assert_eq!(fmt("x = a && b || c && d"), "x = (a && b) || (c && d);\n");
        assert_eq!(fmt("x = a || b || c && d"), "x = a || b || (c && d);\n");
        assert_eq!(fmt("x = (a || b) || c"), "x = a || b || c;\n");
        assert_eq!(fmt("x = 1 == (2 == 3)"), "x = 1 == (2 == 3);\n");
        assert_eq!(fmt("x = max((1 ? 2 : 3), (4))"), "x = max(1 ? 2 : 3, 4);\n");
    }

    #[test]
    fn long_statements_wrap_at_100_columns_at_operators_and_arguments() {
        let terms: Vec<String> = (0..12).map(|i| format!("variable_{i}")).collect();
        let text = format!("$TargetDedicatedNodes = {};", terms.join(" + "));
        assert_eq!(
            fmt(&text),
            "$TargetDedicatedNodes = variable_0\n    + variable_1\n    + variable_2\n    + variable_3\n    + variable_4\n    + variable_5\n    + variable_6\n    + variable_7\n    + variable_8\n    + variable_9\n    + variable_10\n    + variable_11;\n"
        );
        let call = format!("x = max({});", terms.join(", "));
        assert_eq!(
            fmt(&call),
            format!("x = max(\n    {}\n);\n", terms.join(",\n    "))
        );
        // Only what does not fit breaks: here the condition stays whole.
        let choice = "$TargetDedicatedNodes = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15) < 70 ? startingNumberOfVMs : min(maxNumberofVMs, avg($PendingTasks.GetSample(TimeInterval_Minute * 15)));";
        let formatted = fmt(choice);
        assert_eq!(
            formatted,
            "$TargetDedicatedNodes = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15) < 70\n    ? startingNumberOfVMs\n    : min(maxNumberofVMs, avg($PendingTasks.GetSample(TimeInterval_Minute * 15)));\n"
        );
        for line in formatted.lines() {
            assert!(line.chars().count() <= MAX_WIDTH, "{line:?}");
        }
        // A statement of exactly 100 columns stays on one line; 101 breaks.
        let exactly = format!("x = a + {};", "b".repeat(100 - "x = a + ;".len()));
        assert_eq!(fmt(&exactly).lines().count(), 1);
        let over = format!("x = a + {};", "b".repeat(101 - "x = a + ;".len()));
        assert_eq!(fmt(&over).lines().count(), 2);
        // An end-of-line comment does not count.
        assert_eq!(fmt(&format!("{exactly} // note")).lines().count(), 1);
    }

    #[test]
    fn a_condition_that_breaks_is_indented_past_its_question_mark() {
        let text = "ratio = pendingTasksSamplePercent < samplePercentThreshold || runningTasksSamplePercent < samplePercentThreshold ? -1 : taskRatio;";
        assert_eq!(
            fmt(text),
            "ratio = pendingTasksSamplePercent < samplePercentThreshold\n        || runningTasksSamplePercent < samplePercentThreshold\n    ? -1\n    : taskRatio;\n"
        );
    }

    #[test]
    fn a_formula_that_wrapping_would_take_past_8192_characters_stays_unwrapped() {
        let n = 120;
        let text = format!("r = {}1 ? a : 0{};\n", "1 ? (".repeat(n), ") : 0".repeat(n));
        assert_eq!(fmt(&text), text);
        // Each level indents four more columns: wrapped, it would be far longer.
        let mut parsed = parser::parse(&text).formula;
        let wrapped = print_statement(&parsed.statements.remove(0));
        assert!(utf16_len(&wrapped) > crate::engine::MAX_FORMULA_LENGTH);
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
