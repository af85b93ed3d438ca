//! Building blocks shared by several pages.

pub mod layout;
