//! Failover (Kea HA) set-up as data: mode, roles, timings, validation (being built).
