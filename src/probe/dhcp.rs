//! (being written: DHCP probe)
