//! What a probe is given to work with, on the checks' side of the engine: the services a
//! process shares between its probes (HTTP clients, the system reader, stored samples),
//! the state kept between runs, and the context of one attempt.
//!
//! The engine builds these and hands them over; checks import them from here and never
//! import `engine`, so that a check kind depends on what it uses, not on who runs it.

pub mod context;
pub mod http_clients;
pub mod services;
pub mod state;
