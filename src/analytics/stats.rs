//! Statistics for small groups, exact where it matters: Wilson score intervals for shares
//! and Fisher's exact test for 2x2 tables (two-sided, as R and scipy compute it).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use utoipa::ToSchema;

/// Every figure of the analytics: a count out of a base, as a whole percentage and with its
/// 95% Wilson score interval. The base is who could count: those invited for a reply rate,
/// those who answered the question for an answer's share. Every row of every table names
/// its base `base` as well.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"count": 9, "base": 12, "percent": 75, "ci_low": 0.4677, "ci_high": 0.9111}))]
pub struct Share {
    pub count: u64,
    /// Who could count: invited (reply rates), or answered the question (answers).
    pub base: u64,
    /// `count / base` rounded to a whole percent, as the report prints it; 0 when the base
    /// is 0.
    pub percent: u64,
    /// The 95% Wilson score interval, as fractions from 0 to 1 (0 to 1 when the base is 0).
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Share {
    /// `count / base`; 0 when the base is 0.
    pub fn fraction(&self) -> f64 {
        if self.base == 0 {
            0.0
        } else {
            self.count as f64 / self.base as f64
        }
    }

    pub fn new(count: u64, base: u64) -> Self {
        let (ci_low, ci_high) = wilson_interval(count, base, 0.95);
        let share = if base == 0 {
            0.0
        } else {
            count as f64 / base as f64
        };
        Self {
            count,
            base,
            percent: (share * 100.0).round() as u64,
            ci_low,
            ci_high,
        }
    }
}

/// The standard normal quantile of 0.975, the z of every 95% interval (a report computes
/// thousands of them).
const Z_95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `trials` at `confidence`.
pub fn wilson_interval(successes: u64, trials: u64, confidence: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let z = if confidence == 0.95 {
        Z_95
    } else {
        Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
    };
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// A 2x2 table: `a` took the action and had the outcome, `b` took it without the outcome,
/// `c` had the outcome without the action, `d` neither. On the wire the cells say so
/// (`both`, `action_only`, `outcome_only`, `neither`): one-letter names collide with what
/// client generators write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct TwoByTwo {
    /// Took the action and had the outcome.
    #[serde(rename = "both")]
    pub a: u64,
    /// Took the action without the outcome.
    #[serde(rename = "action_only")]
    pub b: u64,
    /// Had the outcome without the action.
    #[serde(rename = "outcome_only")]
    pub c: u64,
    /// Neither.
    #[serde(rename = "neither")]
    pub d: u64,
}

/// What a 2x2 table says.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Association {
    pub table: TwoByTwo,
    /// Fisher's exact test, two-sided.
    pub fisher_p: f64,
    /// `ad / bc` (sample odds ratio); absent when `bc = 0`.
    pub odds_ratio: Option<f64>,
    /// Some expected cell count is below 5: read the figures with care.
    pub small_cells: bool,
}

impl TwoByTwo {
    pub fn associate(self) -> Association {
        Association {
            table: self,
            fisher_p: self.fisher_p(),
            odds_ratio: self.odds_ratio(),
            small_cells: self.has_small_expected_cells(),
        }
    }

    fn n(self) -> u64 {
        self.a + self.b + self.c + self.d
    }

    pub fn odds_ratio(self) -> Option<f64> {
        let denominator = (self.b * self.c) as f64;
        (denominator > 0.0).then(|| (self.a * self.d) as f64 / denominator)
    }

    /// Two-sided p: the probability, under independence with the margins fixed, of a table
    /// at most as likely as this one. The hypergeometric probabilities of the tables with
    /// these margins are taken relative to the most likely one and walked from it by the
    /// ratio of neighbours, P(k + 1) / P(k) = (r - k)(c - k) / ((k + 1)(n - r - c + k + 1)):
    /// a multiplication per table rather than three log-gammas (a report runs twenty of
    /// these over rounds of a thousand replies), and no term exceeds 1, so none overflows.
    pub fn fisher_p(self) -> f64 {
        let n = self.n();
        let row = self.a + self.b; // took the action
        let column = self.a + self.c; // had the outcome
        if n == 0 || row == 0 || column == 0 || row == n || column == n {
            return 1.0;
        }
        let low = row.saturating_sub(n - column);
        let high = row.min(column);
        let mode = ((row + 1) * (column + 1) / (n + 2)).clamp(low, high);
        // P(k + 1) / P(k), for low <= k < high.
        let up = |k: u64| {
            ((row - k) * (column - k)) as f64 / ((k + 1) * (n + k + 1 - row - column)) as f64
        };
        let mut relative = vec![0.0; (high - low + 1) as usize];
        let at = |k: u64| (k - low) as usize;
        relative[at(mode)] = 1.0;
        for k in mode..high {
            relative[at(k + 1)] = relative[at(k)] * up(k);
        }
        for k in (low..mode).rev() {
            relative[at(k)] = relative[at(k + 1)] / up(k);
        }
        let observed = relative[at(self.a)] * (1.0 + 1e-7);
        let total: f64 = relative.iter().sum();
        let as_likely: f64 = relative.iter().filter(|p| **p <= observed).sum();
        (as_likely / total).min(1.0)
    }

    fn has_small_expected_cells(self) -> bool {
        let n = self.n() as f64;
        if n == 0.0 {
            return true;
        }
        let rows = [(self.a + self.b) as f64, (self.c + self.d) as f64];
        let columns = [(self.a + self.c) as f64, (self.b + self.d) as f64];
        rows.iter()
            .flat_map(|r| columns.iter().map(move |c| r * c / n))
            .any(|expected| expected < 5.0)
    }
}

#[cfg(test)]
mod tests {
    use statrs::distribution::{Discrete, Hypergeometric};

    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn the_95_percent_z_is_the_normal_quantile() {
        close(Normal::standard().inverse_cdf(0.975), Z_95);
    }

    /// Reference values from statsmodels' `proportion_confint(method="wilson")`.
    #[test]
    fn wilson_intervals_match_statsmodels() {
        let cases = [
            (28, 40, 0.5456998118185505, 0.8192515477025348),
            (16, 18, 0.672002348698212, 0.9689804773543876),
            (12, 22, 0.3465979532073493, 0.7307970581918668),
            (23, 28, 0.6440857521065705, 0.9212149805439572),
            (0, 10, 0.0, 0.27753279986288926),
            (10, 10, 0.7224672001371106, 1.0),
            (13, 26, 0.3206059352575904, 0.6793940647424096),
            (1, 3, 0.06149194472039626, 0.7923403991979523),
        ];
        for (k, n, low, high) in cases {
            let (l, h) = wilson_interval(k, n, 0.95);
            close(l, low);
            close(h, high);
        }
    }

    /// Reference values from scipy's `fisher_exact(alternative="two-sided")`.
    #[test]
    fn fisher_tests_match_scipy() {
        let cases = [
            (
                (8, 15, 4, 1),
                Some(0.13333333333333333),
                0.13308913308913306,
            ),
            ((6, 5, 6, 9), Some(1.8), 0.6921658365863508),
            ((13, 6, 6, 3), Some(1.0833333333333333), 1.0),
            ((10, 5, 9, 4), Some(0.8888888888888888), 1.0),
            ((3, 1, 1, 3), Some(9.0), 0.48571428571428565),
            (
                (1, 9, 11, 3),
                Some(0.030303030303030304),
                0.0027594561852200836,
            ),
            ((0, 5, 5, 0), Some(0.0), 0.007936507936507938),
            ((10, 0, 0, 10), None, 1.082508822446903e-05),
            ((2, 3, 4, 0), Some(0.0), 0.16666666666666663),
        ];
        for ((a, b, c, d), odds, p) in cases {
            let table = TwoByTwo { a, b, c, d };
            close(table.fisher_p(), p);
            match (table.odds_ratio(), odds) {
                (Some(actual), Some(expected)) => close(actual, expected),
                (actual, expected) => assert_eq!(actual, expected),
            }
        }
    }

    /// The same test from statrs' hypergeometric probabilities, term by term.
    fn fisher_p_by_pmf(table: TwoByTwo) -> f64 {
        let n = table.n();
        let (row, column) = (table.a + table.b, table.a + table.c);
        if n == 0 || row == 0 || column == 0 || row == n || column == n {
            return 1.0;
        }
        let distribution = Hypergeometric::new(n, column, row).unwrap();
        let observed = distribution.pmf(table.a);
        let p: f64 = (row.saturating_sub(n - column)..=row.min(column))
            .map(|k| distribution.pmf(k))
            .filter(|probability| *probability <= observed * (1.0 + 1e-7))
            .sum();
        p.min(1.0)
    }

    #[test]
    fn fisher_tests_match_the_term_by_term_sum_on_small_tables() {
        for a in 0..8 {
            for b in 0..8 {
                for c in 0..8 {
                    for d in [0, 1, 3, 7] {
                        let table = TwoByTwo { a, b, c, d };
                        let (fast, reference) = (table.fisher_p(), fisher_p_by_pmf(table));
                        assert!(
                            (fast - reference).abs() <= 1e-12,
                            "{table:?}: {fast} vs {reference}"
                        );
                    }
                }
            }
        }
    }

    /// Tables of a large round, where statrs' term-by-term probabilities come out as 0 (the
    /// test used them before and said p = 0): reference values summed exactly over integers
    /// (Python's `math.comb`, with the same 1e-7 tolerance for ties).
    #[test]
    fn fisher_tests_hold_on_large_tables() {
        let cases = [
            ((310, 402, 280, 408), 0.30371294330948906),
            ((700, 10, 650, 40), 8.547279189231251e-06),
            ((1, 699, 60, 640), 1.4975535076823048e-17),
            ((0, 1400, 3, 1), 8.690373640963523e-09),
            ((512, 488, 490, 510), 0.34765596012334155),
        ];
        for ((a, b, c, d), p) in cases {
            let fast = TwoByTwo { a, b, c, d }.fisher_p();
            assert!(
                (fast - p).abs() <= 1e-9 * p,
                "{a} {b} {c} {d}: {fast} vs {p}"
            );
        }
    }

    #[test]
    fn small_groups_are_flagged() {
        assert!(
            TwoByTwo {
                a: 8,
                b: 15,
                c: 4,
                d: 1
            }
            .associate()
            .small_cells
        );
        assert!(
            !TwoByTwo {
                a: 20,
                b: 20,
                c: 20,
                d: 20
            }
            .associate()
            .small_cells
        );
    }

    #[test]
    fn a_proportion_rounds_like_the_report() {
        let p = Share::new(16, 18);
        assert_eq!(p.percent, 89);
        assert_eq!(Share::new(0, 0).percent, 0);
    }
}
