//! (being written: issue 4 — options and client classes across scopes and servers)
