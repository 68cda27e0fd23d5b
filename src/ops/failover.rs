//! DHCP failover (Kea HA) relationships: list, create, edit, delete, add scope (being built).
