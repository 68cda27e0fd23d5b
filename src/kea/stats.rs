//! stat-lease4-get: per-subnet counters, read by column name (KEA_FACTS.md §4).
use std::collections::HashMap;

use serde_json::Value;

use super::error::KeaError;
use crate::model::ScopeStats;

/// Parses the `arguments` of a stat-lease4-get reply into counters by subnet id. Empty
/// arguments (result 3) give an empty map; rows that are not numbers are skipped.
pub fn parse_stats(arguments: &Value) -> Result<HashMap<u32, ScopeStats>, KeaError> {
    let Some(set) = arguments.get("result-set") else {
        return Ok(HashMap::new());
    };
    let columns: Vec<&str> = set
        .get("columns")
        .and_then(Value::as_array)
        .ok_or_else(|| KeaError::malformed("stat-lease4-get: result-set without columns"))?
        .iter()
        .map(|c| c.as_str().unwrap_or(""))
        .collect();
    let col = |name: &str| columns.iter().position(|c| *c == name);
    let id_col = col("subnet-id")
        .ok_or_else(|| KeaError::malformed("stat-lease4-get: no subnet-id column"))?;
    let (total, assigned, declined) = (
        col("total-addresses"),
        col("assigned-addresses"),
        col("declined-addresses"),
    );
    let rows = set
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let Some(row) = row.as_array() else { continue };
        let Some(id) = row
            .get(id_col)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
        else {
            continue;
        };
        // Kea's counters can dip below zero after odd lease histories: clamp at 0.
        let num = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .and_then(|v| v.as_i64().map(|n| n.max(0) as u64).or_else(|| v.as_u64()))
                .unwrap_or(0)
        };
        out.insert(
            id,
            ScopeStats {
                total: num(total),
                assigned: num(assigned),
                declined: num(declined),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn by_column_name() {
        let args = json!({"result-set": {
            "columns": ["subnet-id","total-addresses","cumulative-assigned-addresses","assigned-addresses","declined-addresses"],
            "rows": [[1,100,0,2,1],[2,100,0,1,0],["bad"],[3,-1,0,-2,0]],
            "timestamp": "2026-11-23 10:58:43.438379"}});
        let s = parse_stats(&args).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[&1],
            ScopeStats {
                total: 100,
                assigned: 2,
                declined: 1
            }
        );
        assert_eq!(
            s[&2],
            ScopeStats {
                total: 100,
                assigned: 1,
                declined: 0
            }
        );
        assert_eq!(s[&3], ScopeStats::default());
        // Another column order reads the same.
        let args = json!({"result-set": {"columns": ["declined-addresses","assigned-addresses","subnet-id","total-addresses"],
            "rows": [[1,2,9,50]]}});
        assert_eq!(
            parse_stats(&args).unwrap()[&9],
            ScopeStats {
                total: 50,
                assigned: 2,
                declined: 1
            }
        );
    }

    #[test]
    fn empty_and_broken() {
        assert!(parse_stats(&json!({})).unwrap().is_empty());
        assert!(parse_stats(&json!({"result-set": {"columns": ["x"], "rows": []}})).is_err());
    }
}
