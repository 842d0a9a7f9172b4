//! "Did you mean": the one place that picks the name a mistyped name was probably meant to
//! be. The checker asks it about variables, functions, methods and fields; the snapshot
//! reader about metric names.
//!
//! Edit distance is `strsim`'s Levenshtein distance over characters.

/// The candidate a written name most likely meant: one that differs only by case, else
/// only by a leading `$`, else one within two edits (ignoring case) when the name has at
/// least 4 characters. The first of equally close candidates wins.
pub(crate) fn suggest<'c>(
    written: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = written.to_ascii_lowercase();
    let long_enough = written.chars().count() >= 4;
    let mut best: Option<(usize, &'c str)> = None;
    for candidate in candidates {
        if candidate == written {
            continue;
        }
        let distance = if candidate.eq_ignore_ascii_case(written) {
            0
        } else if candidate
            .trim_start_matches('$')
            .eq_ignore_ascii_case(written.trim_start_matches('$'))
        {
            // `x` for `$x` or the reverse: different variables [seen], an easy slip.
            1
        } else if long_enough {
            edit_distance(&lower, &candidate.to_ascii_lowercase())
        } else {
            continue;
        };
        if distance <= 2 && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(suggest("Avg", ["avg", "max"]), Some("avg"));
        assert_eq!(suggest("avgg", ["avg", "max"]), Some("avg"));
        // Short names get only case-insensitive matches.
        assert_eq!(suggest("ab", ["abc"]), None);
        assert_eq!(suggest("abcdefgh", ["xyzdefgh"]), None);
    }
}
