//! (being written: issue 4 — networks, containers, scopes)
