//! Configuration events: the journal plus changes seen on the servers (being built).
