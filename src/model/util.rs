//! Utilization and its Under / Optimal / Over band.
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Utilization {
    pub used: u64,
    pub total: u64,
}

impl Utilization {
    pub fn new(used: u64, total: u64) -> Self {
        Utilization { used, total }
    }

    /// Percent in 0..=100 (can exceed 100 when leases sit outside the pools); 0 when there
    /// is nothing to use.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.used as f64 * 100.0 / self.total as f64
        }
    }

    pub fn percent_floor(&self) -> u64 {
        (self.used * 100).checked_div(self.total).unwrap_or(0)
    }

    pub fn merge(self, o: Utilization) -> Utilization {
        Utilization::new(self.used + o.used, self.total + o.total)
    }

    pub fn band(&self, t: &Thresholds) -> UtilBand {
        let p = self.percent();
        if p >= t.over {
            UtilBand::Over
        } else if p < t.under {
            UtilBand::Under
        } else {
            UtilBand::Optimal
        }
    }
}

impl fmt::Display for Utilization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}%", self.percent())
    }
}

/// Utilization thresholds in percent: below `under` is Under, at or above `over` is Over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub under: f64,
    pub over: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            under: 20.0,
            over: 80.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UtilBand {
    Under,
    Optimal,
    Over,
}

impl UtilBand {
    pub fn label(self) -> &'static str {
        match self {
            UtilBand::Under => "Under",
            UtilBand::Optimal => "Optimal",
            UtilBand::Over => "Over",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        let t = Thresholds::default();
        assert_eq!(Utilization::new(0, 0).band(&t), UtilBand::Under);
        assert_eq!(Utilization::new(19, 100).band(&t), UtilBand::Under);
        assert_eq!(Utilization::new(20, 100).band(&t), UtilBand::Optimal);
        assert_eq!(Utilization::new(79, 100).band(&t), UtilBand::Optimal);
        assert_eq!(Utilization::new(80, 100).band(&t), UtilBand::Over);
        assert_eq!(Utilization::new(1, 3).to_string(), "33.3%");
        assert_eq!(Utilization::new(2, 3).percent_floor(), 66);
    }
}
