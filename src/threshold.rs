//! Thresholds: `"> 20"` becomes a predicate on a metric, and a pair of them (`warn`,
//! `crit`) becomes a status.
//!
//! Crit is evaluated first; a metric that meets neither is OK. The threshold's status
//! stands on its own, regardless of the check's `severity`.

use std::fmt;
use std::str::FromStr;

use crate::outcome::Status;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
}

impl Operator {
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
        }
    }

    /// +1 for "bigger is worse", -1 for "smaller is worse", 0 for equality tests.
    pub fn direction(self) -> i8 {
        match self {
            Operator::Greater | Operator::GreaterOrEqual => 1,
            Operator::Less | Operator::LessOrEqual => -1,
            Operator::Equal | Operator::NotEqual => 0,
        }
    }
}

/// One condition: an operator and a number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub value: f64,
}

impl Condition {
    /// Does the metric meet this condition?
    pub fn holds(&self, metric: f64) -> bool {
        match self.operator {
            Operator::Greater => metric > self.value,
            Operator::GreaterOrEqual => metric >= self.value,
            Operator::Less => metric < self.value,
            Operator::LessOrEqual => metric <= self.value,
            Operator::Equal => (metric - self.value).abs() < 1e-9,
            Operator::NotEqual => (metric - self.value).abs() >= 1e-9,
        }
    }
}

impl Condition {
    /// The Nagios plugin range (development guidelines, "Threshold and ranges") that alerts
    /// exactly when this condition holds: ranges alert outside `start:end` (`~` is minus
    /// infinity, an empty end plus infinity) and, with a leading `@`, inside it.
    pub fn nagios_range(&self) -> String {
        let v = crate::outcome::exact_number(self.value);
        match self.operator {
            Operator::Greater => format!("~:{v}"),
            Operator::GreaterOrEqual => format!("@{v}:"),
            Operator::Less => format!("{v}:"),
            Operator::LessOrEqual => format!("@~:{v}"),
            Operator::Equal => format!("@{v}:{v}"),
            Operator::NotEqual => format!("{v}:{v}"),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.operator.symbol(), crate::outcome::format_number(self.value))
    }
}

/// Why a threshold, or a warn/crit pair of them, is refused. Each `Display` is the reason
/// the playbook's diagnostic gives.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error("it must start with >, >=, <, <=, == or !=")]
    NoOperator,
    #[error("`{text}` is not a number")]
    NotANumber {
        text: String,
        #[source]
        source: std::num::ParseFloatError,
    },
    #[error("the number must be finite")]
    NotFinite,
    /// One of the pair is "bigger is worse", the other "smaller is worse".
    #[error("warn `{warn}` and crit `{crit}` point in opposite directions")]
    OppositeDirections { warn: Condition, crit: Condition },
    /// With `>` thresholds crit would fire before warn.
    #[error("crit `{crit}` is below warn `{warn}`, so crit would fire before warn")]
    CritBelowWarn { warn: Condition, crit: Condition },
    /// With `<` thresholds crit would fire before warn.
    #[error("crit `{crit}` is above warn `{warn}`, so crit would fire before warn")]
    CritAboveWarn { warn: Condition, crit: Condition },
}

impl FromStr for Condition {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (operator, rest) = [
            (">=", Operator::GreaterOrEqual),
            ("<=", Operator::LessOrEqual),
            ("==", Operator::Equal),
            ("!=", Operator::NotEqual),
            (">", Operator::Greater),
            ("<", Operator::Less),
        ]
        .iter()
        .find_map(|(symbol, op)| text.strip_prefix(symbol).map(|rest| (*op, rest)))
        .ok_or(ThresholdError::NoOperator)?;
        let number = rest.trim().trim_end_matches('%');
        let value: f64 =
            number.parse().map_err(|source| ThresholdError::NotANumber { text: rest.trim().to_string(), source })?;
        if !value.is_finite() {
            return Err(ThresholdError::NotFinite);
        }
        Ok(Condition { operator, value })
    }
}

/// Checks that a warn/crit pair points the same way: with `>` thresholds crit must be at
/// least warn (warn `> 80`, crit `> 20` would make every warning critical); with `<`, at
/// most. Returns the reason when it does not.
pub fn check_pair(warn: &Condition, crit: &Condition) -> Result<(), ThresholdError> {
    let (w, c) = (warn.operator.direction(), crit.operator.direction());
    let (warn, crit) = (*warn, *crit);
    if w != 0 && c != 0 && w != c {
        return Err(ThresholdError::OppositeDirections { warn, crit });
    }
    if w > 0 && c > 0 && crit.value < warn.value {
        return Err(ThresholdError::CritBelowWarn { warn, crit });
    }
    if w < 0 && c < 0 && crit.value > warn.value {
        return Err(ThresholdError::CritAboveWarn { warn, crit });
    }
    Ok(())
}

/// Evaluates a metric against optional crit and warn conditions (crit first).
pub fn evaluate(metric: f64, warn: Option<&Condition>, crit: Option<&Condition>) -> Status {
    if crit.is_some_and(|c| c.holds(metric)) {
        Status::Critical
    } else if warn.is_some_and(|w| w.holds(metric)) {
        Status::Warning
    } else {
        Status::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Condition {
        s.parse().unwrap()
    }

    #[test]
    fn parses_conditions() {
        assert_eq!(c("> 20"), Condition { operator: Operator::Greater, value: 20.0 });
        assert_eq!(c(">=0.5"), Condition { operator: Operator::GreaterOrEqual, value: 0.5 });
        assert_eq!(c("< -1"), Condition { operator: Operator::Less, value: -1.0 });
        assert_eq!(c("== 10"), Condition { operator: Operator::Equal, value: 10.0 });
        assert_eq!(c("> 20%"), Condition { operator: Operator::Greater, value: 20.0 });
        assert_eq!("20".parse::<Condition>(), Err(ThresholdError::NoOperator));
        assert_eq!("> lots".parse::<Condition>().unwrap_err().to_string(), "`lots` is not a number");
        assert_eq!("=> 3".parse::<Condition>(), Err(ThresholdError::NoOperator));
    }

    #[test]
    fn nagios_ranges_alert_exactly_when_the_condition_holds() {
        assert_eq!(c("> 20").nagios_range(), "~:20");
        assert_eq!(c(">= 0.5").nagios_range(), "@0.5:");
        assert_eq!(c("< -1").nagios_range(), "-1:");
        assert_eq!(c("<= 3").nagios_range(), "@~:3");
        assert_eq!(c("== 1").nagios_range(), "@1:1");
        assert_eq!(c("!= 0").nagios_range(), "0:0");
    }

    #[test]
    fn crit_first_then_warn() {
        let (w, cr) = (c("> 20"), c("> 80"));
        assert_eq!(evaluate(10.0, Some(&w), Some(&cr)), Status::Ok);
        assert_eq!(evaluate(21.0, Some(&w), Some(&cr)), Status::Warning);
        assert_eq!(evaluate(81.0, Some(&w), Some(&cr)), Status::Critical);
    }

    #[test]
    fn pairs_must_point_the_same_way() {
        assert!(check_pair(&c("> 20"), &c("> 80")).is_ok());
        assert_eq!(
            check_pair(&c("> 80"), &c("> 20")).unwrap_err().to_string(),
            "crit `> 20` is below warn `> 80`, so crit would fire before warn"
        );
        assert!(check_pair(&c("< 10"), &c("< 5")).is_ok());
        assert!(matches!(check_pair(&c("< 5"), &c("< 10")), Err(ThresholdError::CritAboveWarn { .. })));
        assert!(matches!(check_pair(&c("> 5"), &c("< 10")), Err(ThresholdError::OppositeDirections { .. })));
        assert!(check_pair(&c("!= 1"), &c("== 0")).is_ok());
    }
}
